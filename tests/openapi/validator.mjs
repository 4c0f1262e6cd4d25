// validator.mjs - checks responses against docs/openapi.yaml while the
// integration tests run: node validator.mjs PORT [openapi.yaml]. The
// harness POSTs {method, path, status, body} of every response it gets
// from /api/ to http://127.0.0.1:PORT/check and fails the test on any
// answer but 200. A response must be documented for its operation and
// status, and its JSON must match the schema there (ajv, JSON Schema
// 2020-12 as OpenAPI 3.1 has it).
import { createServer } from "node:http";
import { need, readSpec } from "./spec.mjs";

const Ajv2020 = need("ajv/dist/2020").default;
const addFormats = need("ajv-formats").default;
const [port, path = new URL("../../docs/openapi.yaml",
    import.meta.url).pathname] = process.argv.slice(2);
const spec = readSpec(path);
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
const base = "https://passiond.invalid/openapi.json";
ajv.addSchema(spec, base);

// Fixed segments before {params}: /api/quests/due before /{id}.
const templates = Object.keys(spec.paths).map((t) => ({
	t,
	re: new RegExp("^" + t.replace(/[.]/g, "\\.").replace(/\{[^}]+\}/g,
	    "[^/]+") + "$"),
	params: (t.match(/\{/g) ?? []).length,
})).sort((a, b) => a.params - b.params);
// What any route may answer without saying so: the wrong method, and
// faults no request of a test means to cause (they fail elsewhere).
const generic = new Set([405, 500, 502, 504]);
const esc = (s) => s.replace(/~/g, "~0").replace(/\//g, "~1");
const compiled = new Map();

function validator(pointer) {
	if (!compiled.has(pointer))
		compiled.set(pointer, ajv.compile({ $ref: `${base}#${pointer}` }));
	return compiled.get(pointer);
}

function check({ method, path, status, body }) {
	const tpl = templates.find((x) => x.re.test(path));
	const m = method === "HEAD" ? "get" : method.toLowerCase();
	const op = tpl && spec.paths[tpl.t][m];
	let pointer;

	if (!op || !op.responses[String(status)]) {
		if (!generic.has(status) && op)
			return `${method} ${tpl.t}: ${status} is not documented`;
		if (!generic.has(status) && status < 400)
			return `${method} ${path}: not in the spec`;
		// An error of a route that is not there: the error shape.
		pointer = "/components/schemas/Error";
	} else {
		const r = op.responses[String(status)];
		const res = r.$ref ? spec.components.responses[
		    r.$ref.split("/").pop()] : r;
		if (!res.content?.["application/json"]) {
			return body === "" ? null : `${method} ${tpl.t}: ${status} ` +
			    "has a body the spec does not describe";
		}
		pointer = r.$ref ? `/components/responses/${esc(
		    r.$ref.split("/").pop())}/content/application~1json/schema` :
		    `/paths/${esc(tpl.t)}/${m}/responses/${status}/content/` +
		    "application~1json/schema";
	}
	if (method === "HEAD" || (body === "" && status === 204))
		return null;
	let doc;
	try {
		doc = JSON.parse(body);
	} catch {
		return `${method} ${path}: ${status}: the body is not JSON`;
	}
	const v = validator(pointer);
	if (v(doc))
		return null;
	return `${method} ${path}: ${status}: ${ajv.errorsText(v.errors)}`;
}

// Port 0: a port of the system's choosing, said on stdout (two suites
// that each picked a free port picked the same one).
const server = createServer((req, res) => {
	let data = "";
	// As UTF-8 across chunks: a character split between two is one.
	req.setEncoding("utf8");
	req.on("data", (c) => { data += c; });
	req.on("end", () => {
		let problem;
		try {
			problem = check(JSON.parse(data));
		} catch (e) {
			problem = `validator: ${e.message}`;
		}
		res.writeHead(problem ? 422 : 200, { "content-type": "text/plain" });
		res.end(problem ?? "ok");
	});
}).listen(Number(port), "127.0.0.1",
    () => console.log(`listening ${server.address().port}`));
