// ui.js - what every page shares: the signed-in check, the header's
// sign-out, building DOM without innerHTML, status messages, sizes and
// dates, and the API's errors in words.
import { api, ApiError, toSignin } from "./api.js";

// h(tag, attrs, ...children): an element; strings become text nodes, so
// nothing the server or a file name holds is ever parsed as HTML.
export function h(tag, attrs, ...children) {
	const e = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === false || v === null || v === undefined)
			continue;
		if (k.startsWith("on"))
			e.addEventListener(k.slice(2), v);
		else if (k === "text")
			e.textContent = v;
		else
			e.setAttribute(k, v === true ? "" : v);
	}
	for (const c of children.flat())
		if (c !== null && c !== undefined && c !== false)
			e.append(c instanceof Node ? c : String(c));
	return e;
}

export const $ = (sel) => document.querySelector(sel);

// say(el, text[, kind]): a message in a status region (role=status or
// alert in the page, so screen readers announce it); kind is "error",
// "ok" or none.
export function say(el, text, kind) {
	el.textContent = text || "";
	el.className = "msg" + (kind ? " " + kind : "");
	el.hidden = !text;
}

const UNITS = ["bytes", "KB", "MB", "GB", "TB"];
export function bytes(n) {
	if (n === null || n === undefined)
		return "—";
	let i = 0;
	while (n >= 1000 && i < UNITS.length - 1) {
		n /= 1000;
		i++;
	}
	return (i ? n.toFixed(n < 10 ? 1 : 0) : String(n)) + " " + UNITS[i];
}

export function when(iso) {
	return iso ? new Date(iso).toLocaleString() : "—";
}

// What a person reads for an API error: the server's message where it
// is already meant for people, plainer words for the common codes.
const WORDS = {
	network: "The server could not be reached. Check the connection and try again.",
	unavailable: "The service is unavailable for a moment. Try again shortly.",
	busy: "The server is busy with your other requests. Try again in a moment.",
	rate_limited: "Too many requests in a short time. Wait a moment and try again.",
	too_many_connections: "Too many requests at once. Try again shortly.",
	quota_exceeded: "This would go over your storage quota. Delete something first.",
	storage_unavailable: "File storage is unavailable for a moment. Try again shortly.",
};
export function words(err) {
	if (!(err instanceof ApiError))
		return "Something went wrong: " + (err && err.message || err);
	let w = WORDS[err.code] || err.message || "Something went wrong.";
	if (err.retryAfter)
		w += " (try again in " + err.retryAfter + " s)";
	return w;
}

// The pages, in the order of the header's navigation.
const PAGES = [["/", "Home"], ["/import", "Import"], ["/export", "Export"],
    ["/library", "Library"], ["/account", "Account"]];

// Every page's skip link and header, made here once: the brand, the
// navigation (this page marked for screen readers too), who is signed
// in and the sign-out button (signedIn() fills and shows them).
function chrome() {
	const here = location.pathname.replace(/\.html$/, "").replace(/^\/index$/, "/");
	const signin = here === "/signin";
	document.body.prepend(h("a", { class: "skip", href: "#main" },
	    "Skip to the content"), h("header", {}, h("a", { class: "brand",
	    href: "/" }, "Passion OS"), signin ? null : h("nav", { id: "nav",
	    "aria-label": "Main" }, h("ul", {}, PAGES.map(([href, name]) =>
	    h("li", {}, h("a", { href, "aria-current": href === here ? "page" :
	    null }, name))))), h("span", { class: "who", id: "who" }),
	    h("button", { type: "button", id: "signout", class: "plain",
	    hidden: true }, "Sign out")));
}
chrome();

// signedIn(): the session, or off to the sign-in page. Also wires the
// header's sign-out button and shows who is signed in.
export async function signedIn() {
	let s;
	try {
		s = await api("GET", "/api/auth/session");
	} catch (e) {
		if (e instanceof ApiError && e.status === 401) {
			toSignin();
			return new Promise(() => {});	// the page is leaving
		}
		throw e;
	}
	const who = $("#who");
	if (who)
		who.textContent = s.user.email || s.user.name || "";
	const out = $("#signout");
	if (out) {
		out.hidden = false;
		out.addEventListener("click", async () => {
			await api("POST", "/api/auth/signout").catch(() => {});
			location.assign("/signin?signedout=1");
		});
	}
	return s;
}

// poll(fn, done, ms): call fn every ms until done(result) is true, then
// resolve with that result. Errors end it.
export function poll(fn, done, ms = 1000) {
	return new Promise((resolve, reject) => {
		const tick = async () => {
			try {
				const r = await fn();
				if (done(r))
					return resolve(r);
				setTimeout(tick, ms);
			} catch (e) {
				reject(e);
			}
		};
		tick();
	});
}

// fill(ul, path, item, empty): the list the API answers at path, each
// entry an <li> by item(entry), or one <li> saying empty, or the error;
// resolves with the entries (null after an error).
export async function fill(ul, path, item, empty) {
	let list;
	try {
		list = (await api("GET", path)).data;
	} catch (e) {
		ul.replaceChildren(h("li", {}, words(e)));
		return null;
	}
	ul.replaceChildren(...(list.length ? list.map(item) : [h("li", {}, empty)]));
	return list;
}

// The job of a list (imports, exports) still queued or running, if any.
export const going = (list) => list && list.find((x) =>
    x.state === "queued" || x.state === "running");

// A progress element's value and its text (for those not seeing it).
export function progress(bar, label, done, total, what) {
	bar.max = total || 1;
	bar.value = Math.min(done, total || 1);
	label.textContent = what + ": " + bytes(done) + " of " + bytes(total) +
	    (total ? " (" + Math.floor(100 * done / total) + " %)" : "");
}
