// sdk.mjs - the AWS SDK for JavaScript against the URLs passiond hands
// out, as an app's uploader uses it, for tests/integration/check_blobs:
//   node sdk.mjs put FILE < create-answer.json
//       PUT FILE to upload.url with upload.headers; prints the status.
//   node sdk.mjs parts FILE PARTSIZE < parts-answer.json
//       PUT each part; prints the completion body {"parts":[…]}.
//   node sdk.mjs get ENDPOINT KEY OUT
//       GetObject with the S3 client (keys S3RVER/S3RVER, path-style);
//       writes the bytes to OUT, prints the ContentType.
// Requests go through the SDK's own HTTP handler (@smithy/node-http-
// handler), which is what its clients send with.
import { readFileSync, writeFileSync } from "node:fs";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { HttpRequest } from "@smithy/protocol-http";

const [mode, ...args] = process.argv.slice(2);
const handler = new NodeHttpHandler();

function stdin() {
	return JSON.parse(readFileSync(0, "utf8"));
}

// One PUT of body to a presigned url, with headers.
async function put(url, headers, body) {
	const u = new URL(url);
	const query = {};

	for (const [k, v] of u.searchParams)
		query[k] = v;
	const { response } = await handler.handle(new HttpRequest({
		protocol: u.protocol, hostname: u.hostname, port: +u.port,
		method: "PUT", path: decodeURIComponent(u.pathname), query,
		headers: { ...headers, host: u.host,
		    "content-length": String(body.length) },
		body,
	}));
	response.body.resume();
	return response;
}

if (mode === "put") {
	const plan = stdin();
	const r = await put(plan.upload.url, plan.upload.headers,
	    readFileSync(args[0]));
	console.log(r.statusCode);
} else if (mode === "parts") {
	const file = readFileSync(args[0]);
	const size = +args[1];
	const parts = [];

	for (const p of stdin().parts.sort((a, b) => a.partNumber - b.partNumber)) {
		const from = (p.partNumber - 1) * size;
		const r = await put(p.url, {}, file.subarray(from, from + p.sizeBytes));
		if (r.statusCode !== 200)
			throw new Error(`part ${p.partNumber}: ${r.statusCode}`);
		parts.push({ partNumber: p.partNumber, etag: r.headers.etag });
	}
	console.log(JSON.stringify({ parts }));
} else if (mode === "get") {
	const [endpoint, key, out] = args;
	const s3 = new S3Client({ endpoint, region: "auto", forcePathStyle: true,
	    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } });
	const r = await s3.send(new GetObjectCommand({ Bucket: "passion",
	    Key: key }));
	writeFileSync(out, await r.Body.transformToByteArray());
	console.log(r.ContentType);
} else {
	console.error("usage: node sdk.mjs put|parts|get …");
	process.exit(2);
}
