// envelope.mjs - a Vault metadata envelope as the old browser app made
// and read it, with WebCrypto (crypto.subtle): PBKDF2-HMAC-SHA256, then
// AES-256-GCM with the tag after the ciphertext. For
// tests/vault/compare-envelope.sh:
//   node envelope.mjs seal PASS ITERATIONS < plain > envelope.json
//   node envelope.mjs open PASS < envelope.json > plain
// open exits 1 when the tag does not verify.
import { readFileSync } from "node:fs";

const [mode, pass, iterations] = process.argv.slice(2);
const input = readFileSync(0);
const subtle = globalThis.crypto.subtle;

async function key(salt, iter, use) {
	const km = await subtle.importKey("raw", new TextEncoder().encode(pass),
	    "PBKDF2", false, ["deriveKey"]);
	return subtle.deriveKey({ name: "PBKDF2", hash: "SHA-256", salt,
	    iterations: iter }, km, { name: "AES-GCM", length: 256 }, false,
	    [use]);
}

if (mode === "seal") {
	const salt = crypto.getRandomValues(new Uint8Array(32));
	const iv = crypto.getRandomValues(new Uint8Array(12));
	const ct = await subtle.encrypt({ name: "AES-GCM", iv },
	    await key(salt, +iterations, "encrypt"), input);
	const b64 = (u) => Buffer.from(u).toString("base64");
	process.stdout.write(JSON.stringify({ version: 1, kdf: {
	    algorithm: "PBKDF2", hash: "SHA-256", iterations: +iterations,
	    salt: b64(salt) }, iv: b64(iv), ciphertext: b64(new Uint8Array(ct)),
	    tag: "" }));
} else {
	const env = JSON.parse(input.toString("utf8"));
	const buf = (s) => new Uint8Array(Buffer.from(s, "base64"));
	try {
		const plain = await subtle.decrypt({ name: "AES-GCM",
		    iv: buf(env.iv) }, await key(buf(env.kdf.salt),
		    env.kdf.iterations, "decrypt"), buf(env.ciphertext));
		process.stdout.write(new Uint8Array(plain));
	} catch {
		console.error("the tag does not verify");
		process.exit(1);
	}
}
