// library.js - reference libraries and their tracks: add a library,
// upload audio (single PUT or multipart, progress, cancel), play a track
// (player.js), delete tracks and libraries.
import { api } from "./api.js";
import { $, bytes, fill, h, progress, say, signedIn, words } from "./ui.js";
import { audioType, uploadBlob } from "./upload.js";
import { player } from "./player.js";

let lib = null;	// the library shown

async function main() {
	await signedIn();
	$("#new-lib").addEventListener("submit", addLibrary);
	$("#upload").addEventListener("submit", uploadFiles);
	$("#del-lib").addEventListener("click", deleteLibrary);
	const libs = await libraries();
	const want = new URLSearchParams(location.search).get("library");
	const show = libs.find((l) => l.id === want) || libs[0];
	if (show)
		open(show, false);
}

const fail = (e) => say($("#msg"), words(e), "error");

async function libraries() {
	return await fill($("#libs"), "/api/reference-libraries?limit=100", (l) =>
	    h("li", {}, h("div", { class: "row" }, h("span", { class: "grow" }, l.name),
	    h("button", { type: "button", class: "plain", "aria-label": "Open " + l.name,
	    "aria-pressed": lib && lib.id === l.id ? "true" : "false",
	    onclick: () => open(l, true) }, "Open"))),
	    "No library yet. Add one below.") || [];
}

async function addLibrary(ev) {
	ev.preventDefault();
	const input = $("#lib-name");
	const name = input.value.trim();
	if (!name) {
		input.setAttribute("aria-invalid", "true");
		say($("#msg"), "Give the library a name.", "error");
		input.focus();
		return;
	}
	input.removeAttribute("aria-invalid");
	try {
		const l = await api("POST", "/api/reference-libraries", { name });
		input.value = "";
		say($("#msg"), "");
		await open(l, true);
	} catch (e) {
		fail(e);
	}
}

async function open(l, focus) {
	lib = l;
	await libraries();
	$("#lib-h").textContent = l.name;
	$("#lib").hidden = false;
	history.replaceState(null, "", "?library=" + encodeURIComponent(l.id));
	await tracks();
	if (focus)
		$("#lib").focus();
}

const tracks = () => fill($("#tracks"),
    `/api/reference-libraries/${encodeURIComponent(lib.id)}/tracks?limit=100`,
    track, "No tracks yet.");

function track(t) {
	const li = h("li", { "data-track": t.id });
	const play = h("button", { type: "button", class: "plain",
	    "aria-label": "Play " + t.name, onclick: () => {
		const a = player(t.blobId, t.name);
		play.replaceWith(a);
		a.play().catch(() => {});
		a.focus();
	} }, "Play");
	li.append(h("div", { class: "row" }, h("span", { class: "grow" }, t.name,
	    h("span", { class: "hint" }, " — " + bytes(t.sizeBytes))),
	    h("button", { type: "button", class: "plain", "aria-label": "Delete " + t.name,
	    onclick: () => deleteTrack(t) }, "Delete")), play);
	return li;
}

async function deleteTrack(t) {
	try {
		await api("DELETE", `/api/reference-tracks/${encodeURIComponent(t.id)}`);
		await tracks();
	} catch (e) {
		fail(e);
	}
}

async function deleteLibrary() {
	if (!lib || !confirm("Delete “" + lib.name + "” and all its tracks?"))
		return;
	try {
		await api("DELETE", `/api/reference-libraries/${encodeURIComponent(lib.id)}`);
		lib = null;
		$("#lib").hidden = true;
		history.replaceState(null, "", location.pathname);
		await libraries();
	} catch (e) {
		fail(e);
	}
}

async function uploadFiles(ev) {
	ev.preventDefault();
	const input = $("#files");
	const files = [...input.files];
	if (!files.length) {
		say($("#msg"), "Choose one or more audio files.", "error");
		input.focus();
		return;
	}
	say($("#msg"), "");
	input.value = "";
	await Promise.all(files.map(uploadOne));
	await tracks();
}

// One file: its own progress bar and cancel button, then the track.
async function uploadOne(file) {
	const at = lib;
	const stop = new AbortController();
	const bar = h("progress", { value: "0", max: String(file.size || 1),
	    "aria-label": "Upload of " + file.name });
	const label = h("span", { class: "grow" }, file.name + ": starting…");
	const cancel = h("button", { type: "button", class: "plain",
	    "aria-label": "Cancel the upload of " + file.name,
	    onclick: () => stop.abort() }, "Cancel");
	const li = h("li", {}, h("div", { class: "row" }, label, cancel), bar);
	$("#uploads").append(li);
	const type = audioType(file);
	try {
		if (!type)
			throw new Error("“" + file.name + "” is not an audio file this server takes (MP3, WAV, FLAC, Ogg, AAC, M4A, WebM).");
		const blob = await uploadBlob(file, "audio", type, (n) =>
		    progress(bar, label, n, file.size, file.name), stop.signal);
		await api("POST", `/api/reference-libraries/${encodeURIComponent(at.id)}/tracks`,
		    { name: file.name.replace(/\.[^.]+$/, "") || file.name, blobId: blob.id });
		li.remove();
	} catch (e) {
		cancel.remove();
		bar.remove();
		label.textContent = e.name === "AbortError" ? file.name + ": cancelled." :
		    file.name + ": " + (e.code ? words(e) : e.message);
		li.className = "msg error";
		setTimeout(() => li.remove(), 15000);
	}
}

main();
