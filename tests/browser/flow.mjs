// flow.mjs - the user's pages in Debian's chromium (playwright-core,
// pinned in tests/peers), against the stack tests/browser/run started:
// sign in by magic link, import a bundle of the test writer with a wrong
// then the right passphrase, upload WAVs (one PUT, and multipart), play
// and seek, recover from an expired download URL, export and read the
// file back, revoke another session, an axe-core pass and screenshots
// of every page at desktop and phone size, and delete the account.
// Every audio byte must come from the S3 server, none through nginx.
//
// Environment: BASE (the site), STORE (the S3 server's origin), CHROMIUM,
// ARTIFACTS (screenshots), DEV_VAR (the stack's directory), ROOT.
import { createRequire } from "node:module";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const { BASE, STORE, CHROMIUM, ARTIFACTS, DEV_VAR, ROOT } = process.env;
const PEERS = join(ROOT, "tests/peers");
const require = createRequire(join(PEERS, "package.json"));
const { chromium } = require("playwright-core");
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const EMAIL = "browser@example.org";
const RIGHT = "the right passphrase";
const EXPORT_PASS = "an export passphrase of some length";

let passed = 0;
const failures = [];
function check(name, ok, detail) {
	if (ok) {
		passed++;
		console.log("ok   " + name);
	} else {
		failures.push(name);
		console.log("FAIL " + name + (detail ? ": " + detail : ""));
	}
}
// A step that must work for the rest to make sense.
function must(name, ok, detail) {
	check(name, ok, detail);
	if (!ok)
		throw new Error("cannot go on after: " + name);
}

// A WAV (PCM, 16-bit mono, 22 050 Hz) of about `bytes` bytes: a tone.
function wav(bytes) {
	const rate = 22050, n = Math.floor((bytes - 44) / 2);
	const b = Buffer.alloc(44 + 2 * n);
	b.write("RIFF", 0);
	b.writeUInt32LE(36 + 2 * n, 4);
	b.write("WAVEfmt ", 8);
	b.writeUInt32LE(16, 16);
	b.writeUInt16LE(1, 20);
	b.writeUInt16LE(1, 22);
	b.writeUInt32LE(rate, 24);
	b.writeUInt32LE(rate * 2, 28);
	b.writeUInt16LE(2, 32);
	b.writeUInt16LE(16, 34);
	b.write("data", 36);
	b.writeUInt32LE(2 * n, 40);
	for (let i = 0; i < n; i++)
		b.writeInt16LE(Math.round(8000 * Math.sin(2 * Math.PI * 440 * i / rate)),
		    44 + 2 * i);
	return b;
}

// The newest magic link the stack's mail sink holds (dev/mail).
function mailLink() {
	return execFileSync(join(ROOT, "dev/mail"), { env: { ...process.env,
	    PASSION_DEV_VAR: DEV_VAR }, encoding: "utf8" }).trim();
}

// Everything the browser asked for and was answered, per page.
function record(page, log) {
	page.on("response", (r) => log.push(r));
	page.on("console", (m) => {
		if (/Content Security Policy|Refused to/i.test(m.text()))
			log.csp.push(m.text());
	});
	page.on("pageerror", (e) => log.errors.push(String(e)));
	page.on("dialog", (d) => d.accept());
}
function newLog() {
	const log = [];
	log.csp = [];
	log.errors = [];
	return log;
}

async function signIn(page) {
	await page.goto(BASE + "/");
	await page.waitForURL(/\/signin\?next=/);
	await page.getByLabel("Email address").fill(EMAIL);
	await page.getByRole("button", { name: /Email me a sign-in link/ }).click();
	await page.getByText(/A sign-in link is on its way/).waitFor();
	const link = mailLink();
	await page.goto(link);
	await page.waitForURL(BASE + "/");
	await page.getByText("Signed in as " + EMAIL).waitFor();
	return link;
}

// axe-core on the page as it is (its CSP stays on: axe is evaluated,
// not added as a script), and its screenshots at both sizes.
const axeSeen = {};
async function audit(page, name) {
	await page.evaluate(AXE);
	const r = await page.evaluate(() => globalThis.axe.run(document,
	    { resultTypes: ["violations"] }));
	const bad = r.violations.filter((v) => v.impact === "serious" ||
	    v.impact === "critical");
	check(`axe: ${name} has no serious violation`, bad.length === 0,
	    bad.map((v) => v.id + " (" + v.nodes.map((n) => n.target).join(", ") +
	    ")").join("; "));
	axeSeen[name] = true;
	for (const [size, viewport] of [["desktop", { width: 1280, height: 800 }],
	    ["phone", { width: 390, height: 844 }]]) {
		await page.setViewportSize(viewport);
		await page.screenshot({ path: join(ARTIFACTS, `${name}-${size}.png`),
		    fullPage: true });
		if (size === "phone") {
			const wide = await page.evaluate(() =>
			    document.documentElement.scrollWidth > window.innerWidth + 1);
			check(`${name} fits a phone's width (no sideways scrolling)`, !wide);
		}
	}
	await page.setViewportSize({ width: 1280, height: 800 });
}

// The download route, /api/blobs/{id} (not /parts, /complete, /usage).
const isBlobRoute = (r) => r.request().method() === "GET" &&
    /^\/api\/blobs\/[0-9a-f-]{36}(\?|$)/.test(r.url().slice(BASE.length)) &&
    r.url().startsWith(BASE);
const fromStore = (r) => r.url().startsWith(STORE + "/");
function s3log() {
	try {
		return readFileSync(join(DEV_VAR, "s3-access.log"), "utf8").trim()
		    .split("\n").map((l) => l.split(" "));
	} catch {
		return [];
	}
}

async function main() {
	const browser = await chromium.launch({ executablePath: CHROMIUM,
	    args: ["--no-sandbox", "--autoplay-policy=no-user-gesture-required"] });
	const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 },
	    acceptDownloads: true });
	const page = await ctx.newPage();
	const log = newLog();
	record(page, log);
	try {
		await flow(browser, ctx, page, log);
	} finally {
		check("no Content-Security-Policy violation on any page",
		    log.csp.length === 0, log.csp.join(" | "));
		check("no uncaught script error on any page", log.errors.length === 0,
		    log.errors.join(" | "));
		await browser.close();
	}
}

async function flow(browser, ctx, page, log) {
	// --- sign in -------------------------------------------------------
	await page.goto(BASE + "/signin");
	const provider = page.getByRole("link", { name: "Sign in with Local test provider" });
	await provider.waitFor();
	check("the sign-in page offers the configured provider",
	    (await provider.getAttribute("href")).startsWith("/api/auth/signin/local?callbackUrl="));
	await audit(page, "signin");
	const link = await signIn(page);
	check("a magic link signs in and lands on the home page", true);
	await audit(page, "home");
	// A "next" off the site (//host, /\host) is never where a link goes.
	for (const bad of ["//evil.example/", "/%5Cevil.example/"]) {
		await page.goto(BASE + "/signin?next=" + bad);
		const go = page.locator("#already-go");
		await go.waitFor();
		check(`sign-in's "next" ${bad} is not followed off the site`,
		    await go.getAttribute("href") === "/");
	}
	// The same link again: used, with a way to send a new one.
	const other = await ctx.browser().newContext();
	const used = await other.newPage();
	await used.goto(link);
	await used.waitForURL(/\/signin\?error=invalid_token/);
	check("a used link shows that it expired or was used, and offers a new one",
	    await used.getByText(/expired or was already used/).waitFor().then(() =>
	    used.getByRole("button", { name: /Email me a sign-in link/ }).waitFor())
	    .then(() => true, () => false));
	await audit(used, "signin-used-link");
	await other.close();

	// --- import: a wrong passphrase, then the right one, one upload --------
	const bundle = join(ARTIFACTS, "old.vault.zip");
	execFileSync("node", [join(PEERS, "vault.mjs"), "write", bundle, "--pass",
	    RIGHT, "--layout", "zip", "--entities", "7", "--blobs", "2",
	    "--prefix", "browser"]);
	const meta = JSON.parse(execFileSync("node", [join(PEERS, "vault.mjs"),
	    "read", bundle, "--pass", RIGHT], { encoding: "utf8",
	    maxBuffer: 1 << 26 })).metadata;
	await page.goto(BASE + "/import");
	await page.getByLabel("Vault file").setInputFiles(bundle);
	await page.getByLabel("Passphrase").fill("not the passphrase");
	await page.getByRole("button", { name: "Upload and import" }).click();
	await page.getByText(/does not open this bundle/).waitFor({ timeout: 60000 });
	const puts = () => log.filter((r) => fromStore(r) &&
	    r.request().method() === "PUT").length;
	check("a wrong passphrase is said so, the file uploaded once", puts() === 1,
	    puts() + " PUTs");
	check("and the form asks for the passphrase alone",
	    await page.getByLabel("Vault file").isHidden() &&
	    await page.getByText(/is uploaded; type its passphrase/).isVisible());
	await page.getByLabel("Passphrase").fill(RIGHT);
	await page.getByRole("button", { name: "Import with this passphrase" }).click();
	await page.locator("#result").waitFor({ state: "visible", timeout: 60000 });
	check("the right passphrase imports without uploading again", puts() === 1,
	    puts() + " PUTs");
	for (const [kind, rows] of Object.entries(meta)) {
		if (!Array.isArray(rows) || rows.length === 0)
			continue;
		const cell = page.locator(`#kinds tr[data-kind="${kind}"] td[data-field="imported"]`);
		const n = (await cell.count()) ? Number(await cell.textContent()) : -1;
		check(`the confirmation counts ${rows.length} ${kind} imported`,
		    n === rows.length, "it says " + n);
	}
	await audit(page, "import");
	// A v2 bundle, one JSON file: what v3 has no place for is counted as
	// left out.
	const v2 = join(ARTIFACTS, "old-v2.vault");
	execFileSync("node", [join(PEERS, "vault.mjs"), "write", v2, "--pass",
	    RIGHT, "--layout", "json", "--version", "2", "--blobs", "1",
	    "--prefix", "browser2"]);
	await page.getByLabel("Vault file").setInputFiles(v2);
	await page.getByLabel("Passphrase").fill(RIGHT);
	await page.getByRole("button", { name: "Upload and import" }).click();
	await page.getByText(/from “old-v2\.vault”/).waitFor({ timeout: 60000 });
	const cellOf = async (kind, field) => Number(await page.locator(
	    `#kinds tr[data-kind="${kind}"] td[data-field="${field}"]`).textContent());
	check("a v2 .vault JSON file imports; its chord progressions are left out",
	    await cellOf("projects", "imported") === 1 &&
	    await cellOf("chordProgressions", "skipped") === 2,
	    `projects ${await cellOf("projects", "imported")}`);

	// --- the library: upload, play, seek --------------------------------
	await page.goto(BASE + "/library");
	await page.getByLabel("New library").fill("Browser refs");
	await page.getByRole("button", { name: "Add the library" }).click();
	await page.getByRole("heading", { name: "Browser refs" }).waitFor();
	const small = wav(6 << 20), big = wav(12 << 20);
	const before = s3log().length;
	await page.getByLabel("Add audio files").setInputFiles([
	    { name: "tone.wav", mimeType: "audio/wav", buffer: small },
	    { name: "long tone.wav", mimeType: "audio/wav", buffer: big }]);
	await page.getByRole("button", { name: "Upload" }).click();
	await page.locator('#tracks li[data-track]').nth(1).waitFor({ timeout: 120000 });
	const up = s3log().slice(before);
	const preflights = up.filter(([m, , s, , o]) => m === "OPTIONS" &&
	    s === "200" && o === BASE);
	const objectPuts = up.filter(([m, p, s]) => m === "PUT" && s === "200" &&
	    /^\/passion\/[0-9a-f-]{36}\/audio\//.test(p));
	check("the uploads were preflighted (CORS) by the S3 server for this site",
	    preflights.length >= 1, JSON.stringify(up));
	check("one PUT for the 6 MiB file and three parts for the 12 MiB one, " +
	    "straight to the S3 server", objectPuts.length === 4,
	    objectPuts.length + " PUTs");
	const nginxBodies = log.filter((r) => r.url().startsWith(BASE) &&
	    r.request().method() === "PUT");
	check("no upload went through nginx", nginxBodies.length === 0);
	await audit(page, "library");

	const track = page.locator('#tracks li[data-track]', { hasText: /^tone/ });
	await track.getByRole("button", { name: "Play tone" }).click();
	const audio = track.locator("audio");
	await audio.waitFor();
	await page.waitForFunction((a) => a.readyState >= 1 && a.currentTime > 0,
	    await audio.elementHandle(), { timeout: 20000 });
	const target = await audio.evaluate((a) => {
		a.currentTime = a.duration * 0.7;
		return a.duration * 0.7;
	});
	const moved = await page.waitForFunction(([a, t]) => a.currentTime > t + 0.3,
	    [await audio.elementHandle(), target], { timeout: 20000 }).then(() => true,
	    () => false);
	check("play, then seek to 70 %: currentTime moves past it", moved,
	    "at " + await audio.evaluate((a) => a.currentTime) + ", target " + target);
	await audio.evaluate((a) => a.pause());
	const media = log.filter(fromStore).filter((r) => r.request().method() === "GET");
	check("the S3 server served the audio with 206 answers",
	    media.some((r) => r.status() === 206), media.map((r) => r.status()).join(","));

	// --- the URL expires: seeking recovers ------------------------------
	await page.reload();
	const again = page.locator('#tracks li[data-track]', { hasText: /^tone/ });
	await again.getByRole("button", { name: "Play tone" }).click();
	const a2 = again.locator("audio");
	await a2.waitFor();
	const h2 = await a2.elementHandle();
	await page.waitForFunction((a) => a.readyState >= 1 && a.currentTime > 0, h2,
	    { timeout: 20000 });
	await a2.evaluate((a) => a.pause());
	await page.waitForTimeout(9500);	// storage_download_ttl = 8s
	const t2 = await a2.evaluate((a) => {
		a.currentTime = a.duration * 0.9;
		a.play().catch(() => {});
		return a.duration * 0.9;
	});
	const recovered = await page.waitForFunction(([a, t]) =>
	    a.currentTime > t + 0.3, [h2, t2], { timeout: 30000 }).then(() => true,
	    () => false);
	const reloads = Number(await a2.evaluate((a) => a.dataset.reloads || 0));
	// The refusals are the S3 server's to tell: the browser's media
	// stack retries them without reporting each to the page.
	const expired = s3log().filter(([m, , st]) => m === "GET" && st === "403");
	check("after the URL expired, seeking to 90 % plays on from there",
	    recovered, "at " + await a2.evaluate((a) => a.currentTime) + ", target " + t2);
	const fresh = log.filter(isBlobRoute).length;
	check("the player fetched a new URL after the store refused the old one",
	    reloads >= 1 && expired.length >= 1 && fresh >= 3,
	    `reloads ${reloads}, 403s ${expired.length}, /api/blobs/{id} asked ${fresh} times`);
	await a2.evaluate((a) => a.pause());

	// --- every /api/blobs/ answer through nginx is a small redirect ------
	// Its body is empty; its headers are the presigned URL (longer with
	// a long file name and a production store's host) and the site's
	// security headers: about 1 KB, bounded here at 2 KiB.
	const viaNginx = log.filter(isBlobRoute);
	const sizes = await Promise.all(viaNginx.map(async (r) => {
		const s = await r.request().sizes();
		return { status: r.status(), body: s.responseBodySize,
		    headers: s.responseHeadersSize };
	}));
	check("the browser asked /api/blobs/{id} through nginx", sizes.length >= 2);
	check("every /api/blobs/{id} answer through nginx is a 302 with a body " +
	    "under 1 KiB (headers under 2 KiB)", sizes.every((s) => s.status === 302 &&
	    s.body < 1024 && s.headers < 2048), JSON.stringify(sizes));
	const access = readFileSync(join(DEV_VAR, "nginx-access.log"), "utf8")
	    .split("\n").filter((l) => /"GET \/api\/blobs\/[0-9a-f-]{36}[ ?]/.test(l));
	check("nginx's own log: every /api/blobs/{id} answer a 302 of under 1 KiB",
	    access.length > 0 && access.every((l) => {
		const m = /" (\d{3}) (\d+) "/.exec(l);
		return m && m[1] === "302" && Number(m[2]) < 1024;
	    }), access.slice(0, 3).join(" | "));
	const total = readFileSync(join(DEV_VAR, "nginx-access.log"), "utf8")
	    .split("\n").reduce((n, l) => n + Number((/" \d{3} (\d+) "/.exec(l) ||
	    [0, 0])[1]), 0);
	check("nginx sent less than the audio's size in all (" + total + " bytes)",
	    total < small.length);

	// --- cancel an upload, delete a track --------------------------------
	// The upload slowed (the browser's own throttling) so that Cancel
	// comes first; the pending blob it made is deleted again.
	const cdp = await ctx.newCDPSession(page);
	await cdp.send("Network.emulateNetworkConditions", { offline: false,
	    latency: 0, downloadThroughput: -1, uploadThroughput: 256 * 1024 });
	await page.getByLabel("Add audio files").setInputFiles([
	    { name: "slow.wav", mimeType: "audio/wav", buffer: wav(3 << 20) }]);
	await page.getByRole("button", { name: "Upload" }).click();
	await page.getByRole("button", { name: "Cancel the upload of slow.wav" }).click();
	await page.getByText("slow.wav: cancelled.").waitFor();
	await cdp.send("Network.emulateNetworkConditions", { offline: false,
	    latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
	const pending = await page.waitForFunction(async () => (await (await fetch(
	    "/api/blobs?state=pending")).json()).data.length === 0, null,
	    { timeout: 10000 }).then(() => true, () => false);
	check("a cancelled upload says so and leaves no pending blob", pending);
	const long = page.locator("#tracks li[data-track]", { hasText: /^long tone/ });
	await long.getByRole("button", { name: "Delete long tone" }).click();
	await long.waitFor({ state: "detached" });
	check("a track is deleted from the library page",
	    await page.locator("#tracks li[data-track]").count() === 1);
	await page.reload();
	check("and stays deleted", await page.locator("#tracks li[data-track]",
	    { hasText: /^tone/ }).waitFor().then(async () =>
	    await page.locator("#tracks li[data-track]").count() === 1));

	// --- export, download, read it back --------------------------------
	await page.goto(BASE + "/export");
	await page.getByLabel("Passphrase", { exact: true }).fill(EXPORT_PASS);
	await page.getByLabel("The same passphrase again").fill(EXPORT_PASS);
	await page.getByRole("button", { name: "Export" }).click();
	const dl = page.getByRole("link", { name: "Download the export" });
	await dl.waitFor({ timeout: 120000 });
	await audit(page, "export");
	const [download] = await Promise.all([page.waitForEvent("download"),
	    dl.click()]);
	const file = join(ARTIFACTS, "export.zip");
	await download.saveAs(file);
	check("the download is an attachment named like a vault zip",
	    /^vault-.*\.zip$/.test(download.suggestedFilename()), download.suggestedFilename());
	const back = JSON.parse(execFileSync("node", [join(PEERS, "vault.mjs"),
	    "read", file, "--pass", EXPORT_PASS], { encoding: "utf8",
	    maxBuffer: 1 << 27 }));
	const counts = (await (await page.request.get(BASE + "/api/me")).json()).counts;
	const same = Object.entries(counts).filter(([k, n]) =>
	    Array.isArray(back.metadata[k]) && back.metadata[k].length !== n);
	check("the exported file opens with the test reader and holds what the " +
	    "account holds, kind by kind", back.metadata.quests.length ===
	    meta.quests.length && same.length === 0 && counts.referenceTracks > 0,
	    JSON.stringify(same) + " " + JSON.stringify(counts));
	check("every blob in it has its bytes", Object.values(back.blobs)
	    .every((b) => b.ok), JSON.stringify(back.blobs));

	// --- another session, revoked from the account page ------------------
	const second = await browser.newContext();
	const p2 = await second.newPage();
	await signIn(p2);
	await page.goto(BASE + "/account");
	await page.locator("#sessions li[data-session]").nth(1).waitFor();
	check("the account lists both sessions, this one marked",
	    await page.locator("#sessions li[data-current]").count() === 1 &&
	    await page.locator("#sessions li[data-session]").count() === 2);
	await audit(page, "account");
	await page.locator("#sessions li:not([data-current])")
	    .getByRole("button", { name: /Sign it out/ }).click();
	await page.getByText("That session is signed out.").waitFor();
	await p2.goto(BASE + "/account");
	await p2.waitForURL(/\/signin\?next=/);
	check("the revoked session is signed out", true);
	await second.close();

	// --- axe on what is left: home with content -------------------------
	await page.goto(BASE + "/");
	await page.locator("#counts").waitFor();
	await audit(page, "home-with-data");

	check("nothing was kept in localStorage or sessionStorage",
	    await page.evaluate(() => localStorage.length + sessionStorage.length) === 0);

	// --- delete the account ---------------------------------------------
	await page.goto(BASE + "/account");
	const del = page.getByRole("button", { name: "Delete my account" });
	check("deleting waits for the typed address", await del.isDisabled());
	await page.getByLabel("Type your email address to confirm").fill(EMAIL);
	await del.click();
	await page.waitForURL(/\/signin\?deleted=1/);
	check("the account is deleted and the browser signed out",
	    await page.getByText(/were deleted/).isVisible() &&
	    (await page.request.get(BASE + "/api/auth/session")).status() === 401);
}

try {
	await main();
} catch (e) {
	failures.push(String(e && e.stack || e));
	console.log("FAIL " + (e && e.stack || e));
}
writeFileSync(join(ARTIFACTS, "result.txt"), `${passed} passed, ` +
    `${failures.length} failed\n` + failures.join("\n") + "\n");
console.log(`${passed} passed, ${failures.length} failed`);
process.exit(failures.length ? 1 : 0);
