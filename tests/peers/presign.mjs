// presign.mjs - presigned URLs from the AWS SDK for JavaScript's own S3
// presigner, for tests/storage/compare-presigner.sh to compare passiond's
// with, byte for byte. Usage: node presign.mjs ENDPOINT BUCKET ACCESS
// SECRET REGION DATE(YYYYMMDDTHHMMSSZ) EXPIRES METHOD [CONTENT-TYPE
// [QUERY]], keys on stdin as a JSON array; one URL a line. QUERY: a JSON
// object of query parameters ("response-content-disposition"…).
import { S3RequestPresigner } from "@aws-sdk/s3-request-presigner";
import { HttpRequest } from "@smithy/protocol-http";
import { Sha256 } from "@aws-crypto/sha256-js";
import { formatUrl } from "@aws-sdk/util-format-url";
import { extendedEncodeURIComponent } from "@smithy/smithy-client";

const [endpoint, bucket, accessKeyId, secretAccessKey, region, date,
    expires, method, contentType, queryJson] = process.argv.slice(2);
const query = queryJson ? JSON.parse(queryJson) : undefined;
const d = date.match(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/);
const signingDate = new Date(Date.UTC(+d[1], +d[2] - 1, +d[3], +d[4], +d[5],
    +d[6]));
const presigner = new S3RequestPresigner({
	credentials: { accessKeyId, secretAccessKey },
	region, sha256: Sha256,
});
const url = new URL(endpoint);
let input = "";
process.stdin.on("data", (c) => { input += c; });
process.stdin.on("end", async () => {
	for (const key of JSON.parse(input)) {
		// As the S3 client's serializer writes a key into the path.
		const path = `/${bucket}/` + key.split("/").map(
		    extendedEncodeURIComponent).join("/");
		const headers = { host: url.host };
		if (contentType)
			headers["content-type"] = contentType;
		const req = new HttpRequest({ protocol: url.protocol,
		    hostname: url.hostname, port: url.port ? +url.port : undefined,
		    method, path, headers, query });
		// A signed Content-Type is asked for, as SDK users do.
		const signed = await presigner.presign(req, {
		    expiresIn: +expires, signingDate, signableHeaders:
		    contentType ? new Set(["content-type"]) : undefined });
		console.log(formatUrl(signed));
	}
});
