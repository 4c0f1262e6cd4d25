// account.js - the account: who, storage against the quota, the
// signed-in sessions (this one marked) with revoke, and deleting the
// account behind a typed confirmation.
import { api } from "./api.js";
import { $, bytes, h, say, signedIn, when, words } from "./ui.js";

let email = "";

async function main() {
	const s = await signedIn();
	email = s.user.email || "";
	$("#email").textContent = email || s.user.name || "";
	if (!email)	// an account without an address: a word instead
		$("label[for=confirm-email]").textContent = "Type DELETE to confirm";
	$("#others").addEventListener("click", revokeOthers);
	const confirmInput = $("#confirm-email");
	confirmInput.addEventListener("input", () => {
		$("#delete-go").disabled = !matches();
	});
	$("#delete").addEventListener("submit", deleteAccount);
	await Promise.all([me(), storage(), sessions()]);
}

const fail = (e) => say($("#msg"), words(e), "error");
const matches = () => $("#confirm-email").value.trim().toLowerCase() ===
    (email || "delete").toLowerCase();

async function me() {
	try {
		const m = await api("GET", "/api/me");
		$("#since").textContent = when(m.user.createdAt);
	} catch (e) {
		fail(e);
	}
}

async function storage() {
	try {
		const u = await api("GET", "/api/blobs/usage");
		const meter = $("#used");
		meter.max = u.quotaBytes || Math.max(u.usedBytes, 1);
		meter.value = u.usedBytes;
		$("#used-text").textContent = bytes(u.usedBytes) + " used" +
		    (u.quotaBytes ? " of " + bytes(u.quotaBytes) : " (no quota)") +
		    ": " + u.kinds.audio.count + " audio files, " +
		    u.kinds.image.count + " images" + (u.imports.count ?
		    ", " + u.imports.count + " import files waiting" : "") + ".";
		$("#used-label").textContent = "Used: " + bytes(u.usedBytes) +
		    (u.quotaBytes ? " of " + bytes(u.quotaBytes) : "");
	} catch (e) {
		fail(e);
	}
}

async function sessions() {
	const ul = $("#sessions");
	try {
		const list = (await api("GET", "/api/auth/sessions")).data;
		ul.replaceChildren(...list.map((x) => h("li", { "data-session": x.id,
		    "data-current": x.current ? "true" : null }, h("div", { class: "row" },
		    h("span", { class: "grow" }, h("strong", {}, x.current ?
		    "This browser" : "Another session"), " — " + (x.userAgent || "unknown browser"),
		    h("span", { class: "hint" }, " since " + when(x.createdAt) +
		    ", last seen " + when(x.lastSeenAt))),
		    x.current ? null : h("button", { type: "button", class: "plain",
		    "aria-label": "Sign it out: the session since " + when(x.createdAt),
		    onclick: () => revoke(x) }, "Sign it out")))));
		$("#others").hidden = list.length < 2;
	} catch (e) {
		fail(e);
	}
}

async function revoke(x) {
	try {
		await api("DELETE", `/api/auth/sessions/${x.id}`);
		say($("#msg"), "That session is signed out.", "ok");
		await sessions();
	} catch (e) {
		fail(e);
	}
}

async function revokeOthers() {
	try {
		const r = await api("DELETE", "/api/auth/sessions");
		say($("#msg"), r.revoked + " other sessions signed out.", "ok");
		await sessions();
	} catch (e) {
		fail(e);
	}
}

async function deleteAccount(ev) {
	ev.preventDefault();
	if (!matches()) {
		say($("#msg"), "Type " + (email ? "your email address" : "DELETE") +
		    " exactly to confirm.", "error");
		$("#confirm-email").focus();
		return;
	}
	$("#delete-go").disabled = true;
	try {
		await api("DELETE", "/api/me");
		location.assign("/signin?deleted=1");
	} catch (e) {
		fail(e);
		$("#delete-go").disabled = false;
	}
}

main();
