// spec.mjs - shared by the OpenAPI tools: read docs/openapi.yaml, and
// what the server says it is (tests/tools/describe: routes, entity
// schemas written from the model).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

// The packages live in tests/peers (pinned there with their lockfile).
const peers = process.env.PASSION_TEST_PEERS ??
    new URL("../peers/", import.meta.url).pathname;
export const need = createRequire(peers + "/package.json");
const YAML = need("yaml");

export function readSpecDocument(path) {
	return YAML.parseDocument(readFileSync(path, "utf8"));
}

export function readSpec(path) {
	return readSpecDocument(path).toJS();
}

export function describe(tool) {
	return JSON.parse(execFileSync(tool, { encoding: "utf8" }));
}

export function yamlString(doc) {
	return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}
