// sync.mjs - write the entity schemas of docs/openapi.yaml from the
// model: node tests/openapi/sync.mjs BUILD/tests/tools/describe
// [docs/openapi.yaml]. Run it after changing src/model/entities.c;
// tests/openapi/check-spec.sh fails until the two agree.
import { writeFileSync } from "node:fs";
import { describe, need, readSpecDocument, yamlString } from "./spec.mjs";

const YAML = need("yaml");
const [tool, path = new URL("../../docs/openapi.yaml",
    import.meta.url).pathname] = process.argv.slice(2);
if (!tool) {
	console.error("usage: node sync.mjs DESCRIBE [openapi.yaml]");
	process.exit(2);
}
const doc = readSpecDocument(path);
const { schemas } = describe(tool);
const names = Object.keys(schemas);
const map = doc.getIn(["components", "schemas"], true);
for (const name of names) {
	const node = doc.createNode(schemas[name]);

	// Lists of plain values on one line: required, enum, type.
	YAML.visit(node, {
		Seq(_, seq) {
			if (seq.items.every((i) => YAML.isScalar(i)))
				seq.flow = true;
		},
	});
	if (map.has(name))
		map.set(name, node);
	else
		map.add(doc.createPair(name, node));
}
const first = map.items.find((p) => String(p.key) === names[0] ||
    p.key.value === names[0]);
first.key.commentBefore = " Written from the model by tests/openapi/" +
    "sync.mjs: do not edit by hand.";
writeFileSync(path, yamlString(doc));
console.log(`${names.length} schemas written to ${path}`);
