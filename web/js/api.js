// api.js - the one way the pages speak to passiond: JSON over fetch, on
// this origin, the session in its HttpOnly cookie (never readable here;
// nothing is kept in localStorage). The browser sends Sec-Fetch-Site
// with every unsafe request, which is what the API's CSRF check reads
// (docs/security.md, "CSRF").

// An answer other than 2xx: the API's own error (docs/api.md, "Errors").
export class ApiError extends Error {
	constructor(status, code, message, field, retryAfter) {
		super(message);
		this.status = status;
		this.code = code;
		this.field = field || null;
		this.retryAfter = retryAfter ? Number(retryAfter) : null;
	}
}

// api(method, path[, body]): the answer's JSON (null for 204), or an
// ApiError. A 401 sends the browser to the sign-in page, which brings
// it back here afterwards.
export async function api(method, path, body) {
	const init = { method, credentials: "same-origin",
	    headers: { Accept: "application/json" } };
	if (body !== undefined) {
		init.headers["Content-Type"] = "application/json";
		init.body = JSON.stringify(body);
	}
	let res;
	try {
		res = await fetch(path, init);
	} catch {
		throw new ApiError(0, "network", "The server could not be " +
		    "reached. Check the connection and try again.");
	}
	const type = res.headers.get("Content-Type") || "";
	const data = type.startsWith("application/json") ?
	    await res.json().catch(() => null) : null;
	if (res.ok)
		return res.status === 204 ? null : data;
	const e = (data && data.error) || {};
	const err = new ApiError(res.status, e.code || "http_" + res.status,
	    e.message || res.statusText, e.field, res.headers.get("Retry-After"));
	if (res.status === 401 && !path.startsWith("/api/auth/"))
		toSignin();
	throw err;
}

// The sign-in page, with this page as where to come back.
export function toSignin() {
	const next = location.pathname + location.search;
	location.assign("/signin?next=" + encodeURIComponent(next));
}
