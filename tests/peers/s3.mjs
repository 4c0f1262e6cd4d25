// s3.mjs - a local S3 server for dev/up and the tests: node s3.mjs PORT
// DIR BUCKET [ORIGIN]. @20minutes/s3rver checks SigV4 (presigned URLs
// included) with the keys S3RVER / S3RVER; path-style URLs. The bucket's
// CORS rule is the one docs/operations.md asks of the real bucket: the
// site's ORIGIN exactly (any origin when none is given: the tests that
// are not a browser), PUT/GET/HEAD, the Content-Type header, ETag shown.
//
// Two gaps of s3rver against S3 and R2 are filled here, so that the dev
// stack and the tests behave as production does:
// - it canonicalises query values with encodeURIComponent, which leaves
//   ! ' ( ) * as they are; S3, R2 and the AWS SDKs encode them (RFC
//   3986), so a presigned URL with such a value (a download's
//   Content-Disposition: filename*=UTF-8''…) would fail here alone. Its
//   encoding is made S3's, for this process only.
// - it has no AbortMultipartUpload (DELETE /bucket/key?uploadId=…): that
//   request is taken before its router, its signature checked by
//   s3rver's own authentication middleware, and the upload's parts
//   removed (404 NoSuchUpload when there is no such upload).
import { createRequire } from "node:module";
import { createWriteStream } from "node:fs";
import { rm, stat } from "node:fs/promises";
import { join } from "node:path";
import S3rver from "@20minutes/s3rver";

const require = createRequire(import.meta.url);
const authentication = require("@20minutes/s3rver/lib/middleware/authentication");

const plain = globalThis.encodeURIComponent;
globalThis.encodeURIComponent = (s) => plain(s).replace(/[!'()*]/g,
    (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());

const [port, directory, bucket, origin = "*"] = process.argv.slice(2);
const cors = `<CORSConfiguration><CORSRule><AllowedOrigin>${origin}</AllowedOrigin>
<AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod>
<AllowedMethod>HEAD</AllowedMethod><AllowedHeader>content-type</AllowedHeader>
<ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3600</MaxAgeSeconds></CORSRule></CORSConfiguration>`;
const server = new S3rver({
	port: +port, address: "127.0.0.1", directory, silent: true,
	configureBuckets: [{ name: bucket, configs: [cors] }],
});

const auth = authentication();
async function abortMultipartUpload(ctx, next) {
	const m = ctx.method === "DELETE" && "uploadId" in ctx.query &&
	    ctx.path.match(/^\/([^/]+)\/(.+)$/);

	if (!m)
		return next();
	ctx.params = { bucket: m[1], key: decodeURIComponent(m[2]) };
	await auth(ctx, async () => {
		const dir = join(server.store.getResourcePath(m[1], undefined,
		    "uploads"), String(ctx.query.uploadId).replace(/[^0-9a-f]/g,
		    ""));

		try {
			await stat(dir);
		} catch {
			ctx.status = 404;
			ctx.type = "application/xml";
			ctx.body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" +
			    "<Error><Code>NoSuchUpload</Code></Error>";
			return;
		}
		await rm(dir, { recursive: true });
		ctx.status = 204;
	});
}
// Before the router, the last of s3rver's middleware.
server.middleware.splice(server.middleware.length - 1, 0, abortMultipartUpload);
// S3_ACCESS_LOG=FILE: a line per request, "METHOD PATH STATUS BYTES
// ORIGIN RANGE EXPIRED", what the browser tests read to see the bytes come here (and
// the CORS preflights) rather than through nginx.
if (process.env.S3_ACCESS_LOG) {
	const log = createWriteStream(process.env.S3_ACCESS_LOG, { flags: "a" });
	server.middleware.unshift(async (ctx, next) => {
		let status;
		try {
			await next();
			status = ctx.status;
		} catch (e) {
			status = e.status || e.statusCode || 500;
			throw e;
		} finally {
			log.write(`${ctx.method} ${ctx.path} ${status} ` +
			    `${ctx.response.length ?? "-"} ${ctx.get("origin") || "-"} ` +
			    `${(ctx.get("range") || "-").replace(/ /g, "")} ` +
			    `${ctx.query["X-Amz-Expires"] || "-"}\n`);
		}
	});
}
await server.run();
console.log(`s3rver on 127.0.0.1:${port}, bucket ${bucket}`);
