// export.js - everything back out as a v3 Vault: start it with a
// passphrase (typed twice), follow it, download it (a link to the API,
// which answers 302 to the bucket with Content-Disposition: attachment),
// and the earlier exports with delete.
import { api } from "./api.js";
import { $, bytes, fill, going, h, poll, say, signedIn, when, words } from "./ui.js";

async function main() {
	await signedIn();
	$("#form").addEventListener("submit", submit);
	const running = going(await earlier());
	if (running)
		follow(running);
}

async function submit(ev) {
	ev.preventDefault();
	const msg = $("#msg");
	const pass = $("#passphrase"), confirm = $("#confirm");
	for (const i of [pass, confirm])
		i.removeAttribute("aria-invalid");
	if ([...pass.value].length < 12) {
		pass.setAttribute("aria-invalid", "true");
		say(msg, "The passphrase needs at least 12 characters.", "error");
		pass.focus();
		return;
	}
	if (pass.value !== confirm.value) {
		confirm.setAttribute("aria-invalid", "true");
		say(msg, "The two passphrases differ. Type the same one twice.", "error");
		confirm.focus();
		return;
	}
	say(msg, "");
	$("#go").disabled = true;
	try {
		const x = await api("POST", "/api/vault/exports", { passphrase: pass.value });
		pass.value = confirm.value = "";
		await follow(x);
	} catch (e) {
		if (e.field === "passphrase") {
			pass.setAttribute("aria-invalid", "true");
			pass.focus();
		}
		say(msg, e.field === "passphrase" ? "That passphrase is too common " +
		    "or too short. Choose a longer one." : words(e), "error");
	} finally {
		$("#go").disabled = false;
	}
}

async function follow(x) {
	const bar = $("#bar"), label = $("#bar-label"), state = $("#state");
	$("#progress").hidden = false;
	$("#ready").hidden = true;
	const end = await poll(async () => {
		const e = await api("GET", `/api/vault/exports/${x.id}`);
		state.textContent = e.state === "queued" ? "Waiting for its turn…" :
		    e.state === "running" ? "Writing: " + e.entitiesDone +
		    " things, " + bytes(e.bytesDone) + " so far…" : "";
		label.textContent = "Export: " + e.state;
		bar.removeAttribute("value");	// indeterminate while it runs
		return e;
	}, (e) => e.state === "done" || e.state === "failed", 700);
	bar.max = 1;
	bar.value = 1;
	if (end.state === "done") {
		state.textContent = "Done: " + bytes(end.sizeBytes) + ".";
		$("#download").href = `/api/vault/exports/${end.id}/download`;
		$("#ready").hidden = false;
		$("#download").focus();
	} else {
		state.textContent = "";
		say($("#msg"), "The export failed: " + (end.error ||
		    end.errorCode) + ". Start it again.", "error");
	}
	await earlier();
}

const earlier = () => fill($("#earlier"), "/api/vault/exports", (x) =>
    h("li", {}, h("div", { class: "row" }, h("span", { class: "grow" },
    when(x.createdAt) + ": " + (x.state === "done" ? bytes(x.sizeBytes) : x.state)),
    x.state === "done" ? h("a", { class: "button plain",
    href: `/api/vault/exports/${x.id}/download` }, "Download") : null,
    x.state === "done" || x.state === "failed" ? h("button", { type: "button",
    class: "plain", "aria-label": "Delete the export of " + when(x.createdAt),
    onclick: () => remove(x) }, "Delete") : null)), "None yet.");

async function remove(x) {
	try {
		await api("DELETE", `/api/vault/exports/${x.id}`);
		await earlier();
	} catch (e) {
		say($("#msg"), words(e), "error");
	}
}

main();
