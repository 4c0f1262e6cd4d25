// vault.mjs - an independent writer and reader of Vault bundles, as the
// old browser app made them: the metadata sealed with WebCrypto
// (crypto.subtle: PBKDF2-HMAC-SHA256, AES-256-GCM, tag after the
// ciphertext), blobs by SHA-256, one JSON file or a zip (fflate).
//
//   node vault.mjs write OUT --pass P [--layout json|zip] [--prefix X]
//        [--version 3|2] [--blob-bytes N] [--blobs N] [--entities N]
//        [--mutate NAME] [--meta FILE]
//   node vault.mjs meta [--prefix X] [--version 3|2] [--entities N]
//        → the metadata a bundle with these options holds (no blobs)
//   node vault.mjs read IN --pass P
//        → {"version","layout","metadata","blobs":{sha:{size,ok}}}
//
// Blobs are made from --prefix and their index (the same options make
// the same bytes). --mutate breaks one thing, for the import's refusals
// (see mutations below).
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { unzipSync, Zip, ZipDeflate, ZipPassThrough } from "fflate";

const argv = process.argv.slice(2);
const mode = argv[0];
const opt = (name, dflt) => {
	const i = argv.indexOf("--" + name);
	return i < 0 ? dflt : argv[i + 1];
};
const subtle = globalThis.crypto.subtle;
const b64 = (u) => Buffer.from(u).toString("base64");
const sha256 = (b) => createHash("sha256").update(b).digest("hex");

async function key(pass, salt, iterations, use) {
	const km = await subtle.importKey("raw", new TextEncoder().encode(pass),
	    "PBKDF2", false, ["deriveKey"]);
	return subtle.deriveKey({ name: "PBKDF2", hash: "SHA-256", salt,
	    iterations }, km, { name: "AES-GCM", length: 256 }, false, [use]);
}

async function seal(pass, plain, iterations = 100000) {
	const salt = crypto.getRandomValues(new Uint8Array(32));
	const iv = crypto.getRandomValues(new Uint8Array(12));
	const ct = await subtle.encrypt({ name: "AES-GCM", iv },
	    await key(pass, salt, iterations, "encrypt"),
	    new TextEncoder().encode(plain));
	return { version: 1, kdf: { algorithm: "PBKDF2", hash: "SHA-256",
	    iterations, salt: b64(salt) }, iv: b64(iv),
	    ciphertext: b64(new Uint8Array(ct)), tag: "" };
}

async function open(pass, env) {
	const buf = (s) => new Uint8Array(Buffer.from(s, "base64"));
	const plain = await subtle.decrypt({ name: "AES-GCM", iv: buf(env.iv) },
	    await key(pass, buf(env.kdf.salt), env.kdf.iterations, "decrypt"),
	    buf(env.ciphertext));
	return JSON.parse(new TextDecoder().decode(plain));
}

// Bytes that look like a WAV file, made from a seed.
function audio(seed, size) {
	const b = Buffer.alloc(size);
	let x = 0;
	for (const c of seed)
		x = (x * 31 + c.charCodeAt(0)) >>> 0;
	for (let i = 0; i < size; i++) {
		x = (x * 1103515245 + 12345) >>> 0;
		b[i] = x >>> 24;
	}
	if (size >= 12)
		b.write("RIFF", 0) && b.write("WAVE", 8);
	return b;
}

const T0 = Date.parse("2025-03-01T09:00:00.000Z");
const at = (i) => new Date(T0 + i * 60000).toISOString();

// The metadata of a v3 bundle: every kind, references between them.
function metadata3(prefix, n, blobs) {
	const id = (k, i) => `${prefix}-${k}-${i}`;
	const quests = [], events = [], rewards = [], tracks = [];
	for (let i = 0; i < n; i++) {
		quests.push({ id: id("q", i), title: `Quest ${i}`,
		    description: i % 2 ? "with a description" : null,
		    domainId: "music", status: ["pending", "in-progress",
		    "completed", "deferred", "cancelled"][i % 5],
		    priority: ["low", "medium", "high", "critical"][i % 4],
		    dueDate: i % 3 ? at(1000 + i) : null, tags: ["a", `t${i}`],
		    xpValue: 10 * (i % 100000), parentId: i > 0 && i % 4 === 0 ?
		    id("q", i - 1) : null, createdAt: at(i), updatedAt: at(i + 1),
		    completedAt: i % 5 === 2 ? at(i + 2) : null,
		    contentHash: "not trusted" });
		events.push({ id: id("e", i), eventType: "quest.completed",
		    payload: { n: i }, timestamp: at(i), domainId: "music",
		    createdAt: at(i) });
		rewards.push({ id: id("r", i), domainId: "music", type: "xp",
		    amount: 5 + i, reason: `reward ${i}`,
		    sourceEventId: id("e", i), metadata: { i }, createdAt: at(i) });
	}
	const libraries = [{ id: id("lib", 0), name: "References",
	    description: "mixes I like", createdAt: at(0), updatedAt: at(1) }];
	blobs.forEach((b, i) => tracks.push({ id: id("t", i),
	    libraryId: id("lib", 0), name: `Track ${i}`, blobId: b.id,
	    durationMs: 1000 * (i + 1), metadata: { bpm: 120 + i },
	    createdAt: at(i), updatedAt: at(i) }));
	return {
		schemaVersion: 3, deviceId: "0123456789abcdef0123456789abcdef",
		updatedAt: at(n + 10),
		quests,
		scheduleRules: [{ id: id("s", 0), name: "Daily practice",
		    domainId: "music", enabled: true, recurrence: "weekly",
		    daysOfWeek: [1, 3, 5], questTemplate: { title: "Practice",
		    xpValue: 20 }, createdAt: at(0), updatedAt: at(0) }],
		planTemplates: [{ id: id("p", 0), name: "Session",
		    domainId: "music", templateType: "session",
		    questTemplates: [{ title: "Warm up" }, { title: "Mix",
		    priority: "high" }], tags: ["studio"],
		    estimatedDuration: 90, createdAt: at(0), updatedAt: at(0) }],
		skillTree: { id: id("sk", 0), version: 2, nodes: { mixing:
		    { level: 3 } }, totalXp: 1234, achievements: ["first"],
		    updatedAt: at(5) },
		rewardLedger: rewards, logEvents: events,
		focusSessions: [{ id: id("f", 0), startedAt: at(0),
		    endedAt: at(25), plannedDuration: 1500,
		    actualDuration: 1500, status: "completed", mode: "focus",
		    metadata: {}, createdAt: at(0) }],
		projects: [{ id: id("pr", 0), name: "EP", description: "four "
		    + "songs", notes: "", status: "active", starred: true,
		    tags: ["ep"], createdAt: at(0), updatedAt: at(2) }],
		referenceLibraries: libraries, referenceTracks: tracks,
		infobase: [{ id: id("i", 0), title: "Compression",
		    content: "Attack, release… ünïcødé", category: "mixing",
		    tags: ["dynamics"], pinned: true, createdAt: at(0),
		    updatedAt: at(0) }],
		laneTemplates: [{ id: id("l", 0), name: "Four on the floor",
		    templateType: "drums", laneSettings: { swing: 0 },
		    notes: [{ t: 0, p: 36 }], bpm: 124, bars: 4,
		    timeSignature: [4, 4], tags: ["house"], createdAt: at(0),
		    updatedAt: at(0) }],
		settings: { theme: "dark", keyboardLayout: "mac",
		    notificationsEnabled: false, focusDefaultDuration: 1500,
		    settingsJson: { timeZone: "Europe/Paris" }, updatedAt: at(3) },
	};
}

// The metadata of a producer-hub v2 bundle.
function metadata2(prefix, blobs) {
	const id = (k, i) => `${prefix}-${k}-${i}`;
	return {
		schemaVersion: 2, deviceId: "0123456789abcdef0123456789abcdef",
		updatedAt: at(50),
		projects: [{ id: id("pr", 0), name: "Album", updatedAt: at(1),
		    blobIds: blobs.map((b) => b.id) }],
		referenceLibraries: [{ id: id("lib", 0), name: "Refs",
		    updatedAt: at(2), trackIds: [] }],
		infobase: [{ id: id("i", 0), title: "Notes", updatedAt: at(3) }],
		settings: { updatedAt: at(4), themeId: "dark",
		    selectedProductIds: ["daw"] },
		laneTemplates: [{ id: id("l", 0), name: "Groove", type: "drums",
		    createdAt: at(0), updatedAt: at(5), laneSettings: {},
		    notes: [], bpm: 120, bars: 2, timeSignature: [4, 4],
		    key: "C", scaleType: "major", tags: ["x"], genre: "house",
		    contentHash: "old" }],
		chordProgressions: [{ id: id("c", 0) }, { id: id("c", 1) }],
		audioLoops: blobs.map((b, i) => ({ id: id("loop", i),
		    name: `Loop ${i}`, blobId: b.id, blobHash: b.id,
		    mimeType: b.mimeType, durationMs: 2000, sampleRate: 44100,
		    channels: 2 })),
		projectClips: [{ id: id("pc", 0) }, { id: id("pc", 1) },
		    { id: id("pc", 2) }],
	};
}

function makeBlobs(prefix, count, size) {
	const out = [];
	for (let i = 0; i < count; i++) {
		const bytes = audio(`${prefix}/${i}`, size + i);
		out.push({ id: sha256(bytes), bytes, mimeType: "audio/wav" });
	}
	return out;
}

// One thing broken, by name.
const mutations = {
	"bad-hash": (m, blobs) => { blobs[0].bytes[20] ^= 1; },
	"missing-parent": (m) => { m.quests[1].parentId = "nobody"; },
	"bad-enum": (m) => { m.quests[0].status = "done"; },
	"big-row": (m) => { m.infobase[0].content = "x".repeat(2200000); },
	"dup-id": (m) => { m.quests[1].id = m.quests[0].id; },
	"missing-blob": (m) => { m.referenceTracks[0].blobId = "f".repeat(64); },
	"missing-library": (m) => { m.referenceTracks[0].libraryId = "nolib"; },
	"missing-event": (m) => { m.rewardLedger[0].sourceEventId = "noevent"; },
	"schema": (m) => { m.schemaVersion = 9; },
	// A zone that looks like one but no database knows.
	"bad-zone": (m) => { m.settings.settingsJson.timeZone = "Foo/Bar"; },
	// The metadata nested past the depth limit (64): a corrupt bundle.
	"deep-meta": (m) => {
		let v = 1;
		for (let i = 0; i < 100; i++)
			v = [v];
		m.quests[0].deep = v;
	},
	// More schedule rules than a user may have (100): the database
	// refuses the 101st, and the import fails with nothing written.
	"many-rules": (m) => {
		for (let i = 1; i <= 100; i++)
			m.scheduleRules.push({ ...m.scheduleRules[0],
			    id: m.scheduleRules[0].id + "-" + i });
	},
	// Every track names the first blob (an old app's bundle may): its
	// bytes are stored once, and the others are left unused.
	"one-blob": (m) => {
		for (const t of m.referenceTracks)
			t.blobId = m.referenceTracks[0].blobId;
	},
	// Its own parent: refused by the checks (the database would too).
	"self-parent": (m) => { m.quests[1].parentId = m.quests[1].id; },
};

async function bundle(o) {
	const blobs = makeBlobs(o.prefix, o.blobs, o.blobBytes);
	const m = o.meta ? JSON.parse(readFileSync(o.meta, "utf8")) :
	    o.version === "2" ? metadata2(o.prefix, blobs) :
	    metadata3(o.prefix, o.entities, blobs);
	if (mutations[o.mutate])
		mutations[o.mutate](m, blobs);
	const env = await seal(o.pass, JSON.stringify(m),
	    o.mutate === "iterations" ? 5000 : 100000);
	if (o.mutate === "flip") {
		const ct = Buffer.from(env.ciphertext, "base64");
		ct[5] ^= 0x40;
		env.ciphertext = ct.toString("base64");
	}
	if (o.mutate === "bad-base64")
		env.iv = "not base64!";
	const manifest = { blobs: blobs.map((b) => ({ id: b.id,
	    size: b.bytes.length, mimeType: b.mimeType, createdAt: at(0),
	    checksum: b.id, contentType: "reference" })) };
	// More manifest entries than a bundle may list (100 000), each for
	// no blob of the bundle: refused before memory grows.
	if (o.mutate === "big-manifest")
		for (let i = 0; i <= 100000; i++)
			manifest.blobs.push({ id: i.toString(16).padStart(64,
			    "0"), size: 1 });
	// One entry of more values than any entry needs.
	if (o.mutate === "fat-entry")
		for (let i = 0; i < 300; i++)
			manifest.blobs[0]["x" + i] = i;
	const head = { version: +o.version, createdAt: at(100),
	    deviceId: "0123456789abcdef0123456789abcdef",
	    metadataEnvelope: JSON.stringify(env), manifest };
	if (o.layout === "json") {
		head.blobs = {};
		for (const b of blobs)
			head.blobs[b.id] = b.bytes.toString("base64");
		let text = JSON.stringify(head);
		if (o.mutate === "deep")	// JSON.stringify cannot nest so
			text = text.slice(0, -1) + ',"extra":' +
			    "[".repeat(10000) + "]".repeat(10000) + "}";
		if (o.mutate === "truncate")
			text = text.slice(0, Math.floor(text.length / 2));
		return Buffer.from(text);
	}
	const files = [["vault/bundle.json", Buffer.from(JSON.stringify(head))]];
	for (const b of blobs)
		files.push([`vault/blobs/${b.id}.wav`, b.bytes]);
	if (o.mutate === "dotdot")
		files.push(["vault/../../etc/passwd", Buffer.from("x")]);
	if (o.mutate === "absolute")
		files.push(["/etc/passwd", Buffer.from("x")]);
	if (o.mutate === "dupname")
		files.push(["vault/bundle.json", Buffer.from("{}")]);
	// More members than a bundle of 100 000 entities may have.
	if (o.mutate === "many-members")
		for (let i = 0; i < 100100; i++)
			files.push([`vault/extra/${i}`, Buffer.from("x")]);
	// A blob of zeros: tiny deflated, 120 MiB unpacked.
	const zeros = o.mutate === "bomb" ? Buffer.alloc(120 << 20) : null;
	const bomb = zeros ? `vault/blobs/${sha256(zeros)}.wav` : null;
	if (zeros)
		files.push([bomb, zeros]);
	const parts = [];
	const zip = new Zip((err, chunk) => {
		if (err)
			throw err;
		parts.push(Buffer.from(chunk));
	});
	for (const [name, data] of files) {
		// Blobs stored as they are (audio does not shrink); the rest
		// deflated, as zip writers do.
		const f = name.startsWith("vault/blobs/") && name !== bomb ?
		    new ZipPassThrough(name) : new ZipDeflate(name, { level: 9 });
		zip.add(f);
		f.push(new Uint8Array(data), true);
	}
	zip.end();
	let out = Buffer.concat(parts);
	if (o.mutate === "truncate")
		out = out.subarray(0, Math.floor(out.length * 0.7));
	return out;
}

async function read(file, pass) {
	const data = readFileSync(file);
	let head, blobs = {};
	let layout;
	if (data[0] === 0x50 && data[1] === 0x4b) {
		layout = "zip";
		const files = unzipSync(new Uint8Array(data));
		head = JSON.parse(Buffer.from(files["vault/bundle.json"])
		    .toString("utf8"));
		for (const [name, bytes] of Object.entries(files)) {
			const m = /^vault\/blobs\/([0-9a-f]{64})\.\w+$/.exec(name);
			if (m)
				blobs[m[1]] = Buffer.from(bytes);
		}
	} else {
		layout = "json";
		head = JSON.parse(data.toString("utf8"));
		for (const [sha, s] of Object.entries(head.blobs || {}))
			blobs[sha] = Buffer.from(s, "base64");
	}
	const metadata = await open(pass, JSON.parse(head.metadataEnvelope));
	const out = {};
	for (const [sha, b] of Object.entries(blobs))
		out[sha] = { size: b.length, ok: sha256(b) === sha };
	return { version: head.version, layout, manifest: head.manifest,
	    metadata, blobs: out };
}

const o = { pass: opt("pass", ""), layout: opt("layout", "json"),
	prefix: opt("prefix", "v"), blobs: +opt("blobs", "2"),
	blobBytes: +opt("blob-bytes", "4000"), entities: +opt("entities", "6"),
	mutate: opt("mutate", ""), meta: opt("meta", null),
	version: opt("version", "3") };

if (mode === "write") {
	writeFileSync(argv[1], await bundle(o));
} else if (mode === "meta") {
	const blobs = makeBlobs(o.prefix, o.blobs, o.blobBytes);
	process.stdout.write(JSON.stringify(o.version === "2" ?
	    metadata2(o.prefix, blobs) : metadata3(o.prefix, o.entities,
	    blobs)));
} else if (mode === "read") {
	try {
		process.stdout.write(JSON.stringify(await read(argv[1], o.pass)));
	} catch (e) {
		console.error(String(e));
		process.exit(1);
	}
} else {
	console.error("usage: vault.mjs write|meta|read …");
	process.exit(2);
}
