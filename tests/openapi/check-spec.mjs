// check-spec.mjs - docs/openapi.yaml against what the server has:
// every route row is an operation and every operation a route row; a
// route needing a session is secured, one that does not says so; each
// entity schema is the one written from the model; entity routes read,
// take and answer their entity's schemas, and a list takes exactly its
// filters. Usage: node check-spec.mjs DESCRIBE openapi.yaml
import { isDeepStrictEqual } from "node:util";
import { describe, readSpec } from "./spec.mjs";

const [tool, path] = process.argv.slice(2);
const spec = readSpec(path);
const { routes, schemas } = describe(tool);
const fails = [];
const fail = (m) => fails.push(m);
const ref = (name) => `#/components/schemas/${name}`;
const json = (x) => x?.content?.["application/json"]?.schema;

const rows = new Set(routes.map((r) => `${r.method} ${r.pattern}`));
for (const [p, item] of Object.entries(spec.paths))
	for (const m of Object.keys(item))
		if (!rows.has(`${m.toUpperCase()} ${p}`))
			fail(`${m.toUpperCase()} ${p}: in the spec, not in the router`);

for (const r of routes) {
	const op = spec.paths[r.pattern]?.[r.method.toLowerCase()];
	const at = `${r.method} ${r.pattern}`;

	if (!op) {
		fail(`${at}: in the router, not in the spec`);
		continue;
	}
	const open = Array.isArray(op.security) && op.security.length === 0;
	if (r.session === open)
		fail(`${at}: session ${r.session}, spec security ${open ? "none" :
		    "session"}`);
	// An action takes no body or {}: said so, and 415 for another type.
	if (r.noBody && (op.requestBody?.required !== false ||
	    json(op.requestBody)?.maxProperties !== 0 || !op.responses?.["415"]))
		fail(`${at}: an action: requestBody not required, an object ` +
		    "of maxProperties 0, and a 415");
	if (!r.kind)
		continue;
	const ok = (code, want) => {
		const got = json(op.responses?.[code])?.$ref;
		if (got !== ref(want))
			fail(`${at}: ${code} answers ${got}, want ${want}`);
	};
	const body = (want) => {
		const got = json(op.requestBody)?.$ref;
		if (got !== ref(want))
			fail(`${at}: takes ${got}, want ${want}`);
	};
	switch (r.kind) {
	case "list": {
		ok("200", `${r.entity}Page`);
		const names = (op.parameters ?? []).map((p) => p.$ref ?
		    spec.components.parameters[p.$ref.split("/").pop()] : p)
		    .filter((p) => p.in === "query").map((p) => p.name);
		const want = [...r.query, ...(r.entity === "InfobaseEntry" ?
		    ["q"] : [])];
		if (!isDeepStrictEqual([...names].sort(), [...want].sort()))
			fail(`${at}: query ${names}, the list takes ${want}`);
		break;
	}
	case "get":
		ok("200", r.entity);
		break;
	case "create":
		ok("201", r.entity);
		body(`${r.entity}Create`);
		break;
	case "update":
		ok("200", r.entity);
		body(`${r.entity}Patch`);
		break;
	case "delete":
		if (!op.responses?.["204"])
			fail(`${at}: no 204`);
		break;
	}
}

for (const [name, schema] of Object.entries(schemas))
	if (!isDeepStrictEqual(spec.components?.schemas?.[name], schema))
		fail(`components/schemas/${name} differs from the model: run ` +
		    "node tests/openapi/sync.mjs BUILD/tests/tools/describe");

for (const f of fails)
	console.log(`FAIL: ${f}`);
console.log(`${routes.length} routes, ${Object.keys(schemas).length} ` +
    `schemas: ${fails.length} problems`);
process.exit(fails.length ? 1 : 0);
