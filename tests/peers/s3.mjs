// s3.mjs - a local S3 server for dev/up and the tests: node s3.mjs PORT
// DIR BUCKET. @20minutes/s3rver checks SigV4 (presigned URLs included)
// with the keys S3RVER / S3RVER; path-style URLs. The bucket allows
// browser uploads from anywhere (PUT, Content-Type) and shows ETag, as
// docs/operations.md asks of the real bucket's CORS rule.
import S3rver from "@20minutes/s3rver";

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
