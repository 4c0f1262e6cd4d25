// import.js - bring a Vault in: the bundle straight to the bucket
// (presigned PUT, progress in bytes), the passphrase to start it, the
// import's own progress, then the confirmation. A wrong passphrase keeps
// the uploaded bundle: the same import is started again with another.
import { api } from "./api.js";
import { $, bytes, fill, going, h, poll, progress, say, signedIn, when, words } from "./ui.js";
import { put } from "./upload.js";
import { kindName, where } from "./kinds.js";

const FAILED = {
	bad_passphrase: "That passphrase does not open this bundle. Type it again: the file is uploaded already.",
	unsupported_version: "This file is a Vault version the server cannot read (it reads versions 2 and 3).",
	corrupt_bundle: "This file is damaged or is not a Vault export.",
	invalid_data: "The Vault holds data that cannot be imported; nothing was written. The problems are below.",
	too_large: "This Vault holds more than the server takes at once.",
	unavailable: "The server could not finish the import for a moment. Start it again.",
	internal: "The import failed on the server. Start it again; if it fails again, tell the operator.",
};
// A failed import that may be started again (docs/openapi.yaml, start).
const AGAIN = new Set(["bad_passphrase", "internal", "unavailable"]);

let current = null;	// the import the form now speaks of, once uploaded

async function main() {
	await signedIn();
	$("#form").addEventListener("submit", submit);
	$("#other").addEventListener("click", () => retry(null));
	// An import still going (a reload): follow it.
	const running = going(await earlier());
	if (running)
		follow(running);
}

async function submit(ev) {
	ev.preventDefault();
	const msg = $("#msg");
	const pass = $("#passphrase").value;
	const file = $("#file").files[0];
	if (!current && !file) {
		say(msg, "Choose the Vault file to import.", "error");
		$("#file").focus();
		return;
	}
	if (!pass) {
		say(msg, "Type the passphrase the Vault was exported with.", "error");
		$("#passphrase").focus();
		return;
	}
	say(msg, "");
	$("#go").disabled = true;
	$("#result").hidden = true;
	$("#progress").hidden = false;
	try {
		if (!current)
			current = await upload(file);
		const started = await api("POST", `/api/vault/imports/${current.id}/start`,
		    { passphrase: pass });
		$("#passphrase").value = "";
		await follow(started);
	} catch (e) {
		say(msg, words(e), "error");
	} finally {
		$("#go").disabled = false;
	}
}

async function upload(file) {
	const bar = $("#up-bar"), label = $("#up-label");
	const made = await api("POST", "/api/vault/imports",
	    { name: file.name, sizeBytes: file.size });
	progress(bar, label, 0, file.size, "Upload");
	await put(made.upload.url, made.upload.headers, file,
	    (n) => progress(bar, label, n, file.size, "Upload"));
	progress(bar, label, file.size, file.size, "Upload");
	return made.import;
}

// Poll the import until it ends; then the confirmation or the reason.
async function follow(imp) {
	const bar = $("#im-bar"), label = $("#im-label"), state = $("#im-state");
	$("#progress").hidden = false;
	const show = (i) => {
		progress(bar, label, i.bytesDone, i.sizeBytes, "Import");
		state.textContent = i.state === "queued" ? "Waiting for its turn…" :
		    i.state === "running" ? "Importing: " + i.entitiesDone + " things so far…" :
		    i.state === "done" ? "Done." : i.state === "failed" ? "Stopped." : "";
	};
	const end = await poll(async () => {
		const i = await api("GET", `/api/vault/imports/${imp.id}`);
		show(i);
		return i;
	}, (i) => i.state === "done" || i.state === "failed", 700);
	current = end;
	await earlier();
	if (end.state === "done") {
		current = null;
		retry(null);
		confirmation(end);
		return;
	}
	say($("#msg"), FAILED[end.errorCode] || end.error || "The import failed.", "error");
	if (end.result)
		confirmation(end);
	if (AGAIN.has(end.errorCode))
		retry(end);
	else
		retry(null);
}

// The form for another passphrase on the same upload (imp), or back to
// choosing a file (null).
function retry(imp) {
	current = imp;
	$("#file-box").hidden = !!imp;
	$("#other").hidden = !imp;
	const again = $("#again");
	again.hidden = !imp;
	if (imp) {
		again.textContent = "The file “" + imp.name + "” is uploaded; type its passphrase.";
		$("#go").textContent = "Import with this passphrase";
		$("#passphrase").focus();
	} else {
		$("#go").textContent = "Upload and import";
		$("#file").value = "";
	}
}

function problems(list, count, box, ul) {
	ul.replaceChildren(...list.map((p) => h("li", {}, where(p.path) + ": " +
	    p.message + " ", h("code", {}, p.path))));
	if (count > list.length)
		ul.append(h("li", {}, "… and " + (count - list.length) + " more."));
	box.hidden = list.length === 0;
}

function confirmation(imp) {
	const r = imp.result;
	const body = $("#kinds tbody");
	body.replaceChildren();
	let total = 0, dup = 0;
	for (const [k, v] of Object.entries(r.kinds)) {
		total += v.imported || 0;
		dup += v.duplicates || 0;
		body.append(h("tr", { "data-kind": k }, h("th", { scope: "row" }, kindName(k)),
		    ...["imported", "duplicates", "remapped", "skipped"].map((f) =>
		    h("td", { class: "n", "data-field": f }, String(v[f] || 0)))));
	}
	$("#result-h").textContent = imp.state === "done" ? "Imported" : "Not imported";
	$("#result-sum").textContent = imp.state === "done" ?
	    total + " things imported from “" + imp.name + "”, " + dup +
	    " already here. " + (r.warningCount ? r.warningCount +
	    " warnings, below." : "No warnings.") :
	    "Nothing was written. " + r.errorCount + " problems were found.";
	problems(r.errors, r.errorCount, $("#errors-box"), $("#errors"));
	problems(r.warnings, r.warningCount, $("#warnings-box"), $("#warnings"));
	$("#result").hidden = false;
	$("#result").focus();
}

const STATES = { uploading: "not started", queued: "waiting", running: "running",
    done: "imported", failed: "failed" };

const earlier = () => fill($("#earlier"), "/api/vault/imports", (i) =>
    h("li", {}, h("div", { class: "row" }, h("span", { class: "grow" },
    i.name + " — " + bytes(i.sizeBytes) + ", " + when(i.createdAt) + ": " +
    STATES[i.state] + (i.errorCode ? " (" + i.errorCode.replace(/_/g, " ") + ")" : "")),
    i.state === "done" ? h("button", { type: "button", class: "plain",
    onclick: () => confirmation(i) }, "Show what was imported") : null,
    i.state === "failed" && AGAIN.has(i.errorCode) ? h("button",
    { type: "button", class: "plain", onclick: () => retry(i) },
    "Try another passphrase") : null,
    i.state !== "queued" && i.state !== "running" ? h("button",
    { type: "button", class: "plain", "aria-label": "Forget " + i.name,
    onclick: () => forget(i) }, "Forget") : null)), "None yet.");

async function forget(i) {
	try {
		await api("DELETE", `/api/vault/imports/${i.id}`);
		if (current && current.id === i.id)
			retry(null);
		await earlier();
	} catch (e) {
		say($("#msg"), words(e), "error");
	}
}

main();
