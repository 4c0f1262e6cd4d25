// player.js - an <audio> element on /api/blobs/{id}: passiond answers
// 302 to a presigned GET, and the browser then asks the bucket itself
// for every Range (seeking included). Once that URL has expired (its
// lifetime is storage_download_ttl) the bucket refuses the next Range:
// the media errors, or the browser keeps retrying and the element just
// waits. Either way the player asks /api/blobs/{id} again (a new 302, a
// new URL) and goes back to where it was, playing if it was.
import { h } from "./ui.js";

const STALL_MS = 3000;	// a seek or a wait this long without data
const TRIES = 3;	// reloads in a row without ever playing again

export function player(blobId, label) {
	const src = "/api/blobs/" + encodeURIComponent(blobId);
	const a = h("audio", { controls: true, preload: "metadata", src,
	    "aria-label": "Play " + label });
	let at = 0, playing = false, tries = 0, timer = null;

	const calm = () => {
		clearTimeout(timer);
		timer = null;
	};
	const recover = () => {
		calm();
		if (tries++ >= TRIES)
			return;	// the element shows its own error
		const where = at, resume = playing;
		a.dataset.reloads = String(Number(a.dataset.reloads || 0) + 1);
		a.addEventListener("loadedmetadata", () => {
			a.currentTime = where;
			if (resume)
				a.play().catch(() => {});
		}, { once: true });
		a.src = src;
		a.load();
	};
	const watch = () => {
		calm();
		timer = setTimeout(recover, STALL_MS);
	};

	a.addEventListener("timeupdate", () => { if (!a.seeking) at = a.currentTime; });
	a.addEventListener("seeking", () => { at = a.currentTime; watch(); });
	a.addEventListener("waiting", watch);
	a.addEventListener("seeked", calm);
	a.addEventListener("canplay", calm);
	a.addEventListener("playing", () => { calm(); tries = 0; });
	a.addEventListener("play", () => { playing = true; });
	a.addEventListener("pause", () => { if (!a.seeking) playing = false; });
	a.addEventListener("error", recover);
	return a;
}
