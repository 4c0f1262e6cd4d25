// s3.mjs - a local S3 server for dev/up and the tests: node s3.mjs PORT
// DIR BUCKET. @20minutes/s3rver checks SigV4 (presigned URLs included)
// with the keys S3RVER / S3RVER; path-style URLs. The bucket allows
// browser uploads from anywhere (PUT, Content-Type) and shows ETag, as
// docs/operations.md asks of the real bucket's CORS rule.
import S3rver from "@20minutes/s3rver";

// s3rver canonicalises query values with encodeURIComponent, which
// leaves ! ' ( ) * as they are; S3, R2 and the AWS SDKs encode them
// (RFC 3986), so a presigned URL with such a value (a download's
// Content-Disposition: filename*=UTF-8''…) fails here and works there.
// Its encoding made S3's, for this process only.
const plain = globalThis.encodeURIComponent;
globalThis.encodeURIComponent = (s) => plain(s).replace(/[!'()*]/g,
    (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());

const [port, directory, bucket] = process.argv.slice(2);
const cors = `<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>
<AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod>
<AllowedMethod>HEAD</AllowedMethod><AllowedHeader>*</AllowedHeader>
<ExposeHeader>ETag</ExposeHeader></CORSRule></CORSConfiguration>`;
const server = new S3rver({
	port: +port, address: "127.0.0.1", directory, silent: true,
	configureBuckets: [{ name: bucket, configs: [cors] }],
});
await server.run();
console.log(`s3rver on 127.0.0.1:${port}, bucket ${bucket}`);
