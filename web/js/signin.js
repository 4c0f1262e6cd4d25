// signin.js - the sign-in page: the configured providers, the magic
// link by email, and what a failed or used link means.
import { api, ApiError } from "./api.js";
import { $, h, say, words } from "./ui.js";

const params = new URLSearchParams(location.search);
// Where to go afterwards: a path of this site only (the API checks it
// too: a callbackUrl off the site is refused). Not "//host" nor "/\host",
// which browsers read as another site.
const next = /^\/(?![/\\])/.test(params.get("next") || "") ? params.get("next") : "/";

// What ?error= means (auth_error_url; docs/security.md).
const ERRORS = {
	invalid_token: "This sign-in link has expired or was already used. Send yourself a new one below.",
	access_denied: "Sign-in was cancelled at the provider.",
	account_disabled: "This account is disabled. Ask the operator of this server.",
	account_not_linked: "That provider's address is not verified, so it was not linked to your account. Sign in the way you did before.",
	signup_not_allowed: "This server does not take new accounts for that address.",
	provider_unavailable: "The sign-in provider did not answer. Try again in a moment.",
	expired_state: "The sign-in took too long. Start again.",
};

async function main() {
	const state = $("#state");
	const error = params.get("error");
	if (error)
		say(state, ERRORS[error] || "Sign-in failed (" + error + "). Try again.", "error");
	else if (params.has("signedout"))
		say(state, "You are signed out.", "ok");
	else if (params.has("deleted"))
		say(state, "Your account and everything in it were deleted.", "ok");

	try {
		const s = await api("GET", "/api/auth/session");
		$("#already-who").textContent = s.user.email || s.user.name || "";
		$("#already-go").href = next;
		$("#already").hidden = false;
	} catch (e) {
		if (!(e instanceof ApiError && e.status === 401))
			say(state, words(e), "error");
	}

	let providers = [];
	try {
		providers = (await api("GET", "/api/auth/providers")).providers;
	} catch (e) {
		say(state, words(e), "error");
		return;
	}
	const oidc = providers.filter((p) => p.type === "oidc");
	for (const p of oidc) {
		const url = p.signinUrl + (p.signinUrl.includes("?") ? "&" : "?") +
		    "callbackUrl=" + encodeURIComponent(next);
		$("#providers").append(h("li", {}, h("a", { class: "button",
		    href: url }, "Sign in with " + p.name)));
	}
	$("#providers-box").hidden = oidc.length === 0;
	const email = providers.some((p) => p.type === "email");
	$("#email-form").hidden = !email;
	$("#none").hidden = email || oidc.length > 0;
	$("#email-form").addEventListener("submit", send);
	if (error === "invalid_token")
		$("#email").focus();
}

async function send(ev) {
	ev.preventDefault();
	const state = $("#state");
	const input = $("#email");
	const address = input.value.trim();
	if (!input.checkValidity() || !address) {
		say(state, "Type the email address to send the link to.", "error");
		input.setAttribute("aria-invalid", "true");
		input.focus();
		return;
	}
	input.removeAttribute("aria-invalid");
	const button = $("#send");
	button.disabled = true;
	try {
		await api("POST", "/api/auth/email", { email: address,
		    callbackUrl: next });
		say(state, "A sign-in link is on its way to " + address +
		    ". Open it on this device to sign in; it works once. " +
		    "Nothing came? Check the spam folder, or send another.", "ok");
		button.textContent = "Send another link";
	} catch (e) {
		if (e.code === "invalid")
			input.setAttribute("aria-invalid", "true");
		say(state, e.code === "invalid" ?
		    "That does not look like an email address." : words(e), "error");
	} finally {
		button.disabled = false;
	}
}

main();
