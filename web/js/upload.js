// upload.js - bytes go from the browser straight to the bucket, through
// the presigned URLs the API hands out; they never pass through nginx or
// passiond. XMLHttpRequest, not fetch: only it reports upload progress.
// The bucket's CORS rule must allow PUT from this site and expose ETag
// (docs/operations.md, "The bucket").
import { api } from "./api.js";

export class UploadError extends Error {}

// put(url, headers, body, onBytes, signal): one PUT; resolves with the
// store's ETag. The signed headers are sent as given; Content-Length is
// the browser's, from the body.
export function put(url, headers, body, onBytes, signal) {
	return new Promise((resolve, reject) => {
		const x = new XMLHttpRequest();
		x.open("PUT", url);
		for (const [k, v] of Object.entries(headers || {}))
			if (k.toLowerCase() !== "content-length")
				x.setRequestHeader(k, v);
		x.upload.onprogress = (e) => onBytes && onBytes(e.loaded);
		x.onload = () => {
			if (x.status >= 200 && x.status < 300)
				return resolve(x.getResponseHeader("ETag"));
			reject(new UploadError("the storage refused the upload (" +
			    x.status + ")"));
		};
		x.onerror = () => reject(new UploadError("the upload to the " +
		    "storage failed (network or CORS)"));
		x.onabort = () => reject(new DOMException("cancelled", "AbortError"));
		if (signal) {
			// Cancelled before it was sent: an unsent request's abort()
			// fires no event, so say it here.
			if (signal.aborted)
				return reject(new DOMException("cancelled", "AbortError"));
			signal.addEventListener("abort", () => x.abort(), { once: true });
		}
		x.send(body);
	});
}

const PARALLEL = 4;	// parts in flight at once
const BATCH = 100;	// part URLs per request, the API's most

// multipart(id, plan, file, onBytes, signal): every part PUT (PARALLEL
// at a time, URLs asked BATCH at a time), then the ETags for completion.
// Every part but the last is plan.partSize long, as the server fixed it.
async function multipart(id, plan, file, onBytes, signal) {
	const sent = new Array(plan.partCount).fill(0);
	const etags = new Array(plan.partCount);
	const report = () => onBytes(sent.reduce((a, b) => a + b, 0));
	for (let first = 1; first <= plan.partCount; first += BATCH) {
		const numbers = [];
		for (let n = first; n < first + BATCH && n <= plan.partCount; n++)
			numbers.push(n);
		const { parts } = await api("POST", `/api/blobs/${id}/parts`,
		    { partNumbers: numbers });
		let next = 0;
		const lane = async () => {
			while (next < parts.length) {
				const p = parts[next++];
				const start = (p.partNumber - 1) * plan.partSize;
				const chunk = file.slice(start, start + p.sizeBytes);
				etags[p.partNumber - 1] = await put(p.url, {}, chunk,
				    (n) => { sent[p.partNumber - 1] = n; report(); },
				    signal);
			}
		};
		await Promise.all(Array.from({ length: PARALLEL }, lane));
	}
	return etags.map((etag, i) => ({ partNumber: i + 1, etag }));
}

// The types the API takes for audio, by file extension, for files whose
// type the browser does not know.
const AUDIO = { mp3: "audio/mpeg", wav: "audio/wav", flac: "audio/flac",
    ogg: "audio/ogg", oga: "audio/ogg", aac: "audio/aac", m4a: "audio/mp4",
    mp4: "audio/mp4", webm: "audio/webm" };

export function audioType(file) {
	if (file.type && file.type.startsWith("audio/"))
		return file.type;
	const ext = (file.name.match(/\.([a-z0-9]+)$/i) || [])[1];
	return AUDIO[(ext || "").toLowerCase()] || file.type || "";
}

// uploadBlob(file, kind, mimeType, onBytes, signal): a ready blob of the
// user's. Cancelled or failed, the pending blob is deleted again so it
// does not hold the quota.
export async function uploadBlob(file, kind, mimeType, onBytes, signal) {
	const made = await api("POST", "/api/blobs", { kind, name: file.name,
	    mimeType, sizeBytes: file.size });
	try {
		let body = {};
		if (made.upload) {
			await put(made.upload.url, made.upload.headers, file, onBytes,
			    signal);
		} else {
			body = { parts: await multipart(made.id, made.multipart, file,
			    onBytes, signal) };
		}
		return await api("POST", `/api/blobs/${made.id}/complete`, body);
	} catch (e) {
		await api("DELETE", `/api/blobs/${made.id}`).catch(() => {});
		throw e;
	}
}
