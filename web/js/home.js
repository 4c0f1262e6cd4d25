// home.js - the first page: who is signed in, what the account holds.
import { api } from "./api.js";
import { $, h, say, signedIn, words } from "./ui.js";
import { kindName } from "./kinds.js";

async function main() {
	const s = await signedIn();
	$("#hello").textContent = "Signed in as " + (s.user.email || s.user.name) + ".";
	try {
		const me = await api("GET", "/api/me");
		const rows = Object.entries(me.counts).filter(([, n]) => n > 0);
		const body = $("#counts tbody");
		for (const [k, n] of rows)
			body.append(h("tr", {}, h("td", {}, kindName(k)),
			    h("td", { class: "n" }, String(n))));
		if (rows.length)
			$("#counts").hidden = false;
		else
			$("#what").after(h("p", {}, "Nothing yet. Import your old Vault to bring it in."));
	} catch (e) {
		say($("#msg"), words(e), "error");
	}
}

main();
