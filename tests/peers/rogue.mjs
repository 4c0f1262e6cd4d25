// rogue.mjs PORT - OpenID Connect providers that misbehave on purpose, one
// per issuer path http://127.0.0.1:PORT/<mode>:
//   good        valid tokens (email from login_hint, verified)
//   es256       valid tokens signed with a published EC P-256 key
//   unverified  valid tokens, email_verified false
//   nonce       an ID token with another nonce
//   unknownkey  signed by a key that is not in the JWKS
//   expired     exp an hour ago
//   aud         issued to another client
//   hs256       signed with HS256 (a symmetric "key" nobody should accept)
// Discovery, JWKS, authorize (redirects at once with a code) and token
// endpoints are real HTTP; the flow works with curl alone.
import http from 'node:http';
import { generateKeyPair, exportJWK, SignJWT } from 'jose';

const port = Number(process.argv[2]);
const base = `http://127.0.0.1:${port}`;
const good = await generateKeyPair('RS256');
const other = await generateKeyPair('ES256');
const ec = await generateKeyPair('ES256');
const pub = { ...(await exportJWK(good.publicKey)), kid: 'rogue-1', use: 'sig', alg: 'RS256' };
const ecpub = { ...(await exportJWK(ec.publicKey)), kid: 'rogue-ec', use: 'sig', alg: 'ES256' };
const codes = new Map();

function json(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function idToken(mode, iss, code) {
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    email: code.email,
    email_verified: mode !== 'unverified',
    name: code.email.split('@')[0],
    nonce: mode === 'nonce' ? 'not-the-nonce-you-sent' : code.nonce,
  };
  const jwt = new SignJWT(claims)
    .setIssuer(iss)
    .setSubject(`rogue-${code.email}`)
    .setAudience(mode === 'aud' ? 'someone-else' : code.client_id)
    .setIssuedAt(mode === 'expired' ? now - 7200 : now)
    .setExpirationTime(mode === 'expired' ? now - 3600 : now + 600);
  if (mode === 'unknownkey')
    return jwt.setProtectedHeader({ alg: 'ES256', kid: 'not-published' }).sign(other.privateKey);
  if (mode === 'es256')
    return jwt.setProtectedHeader({ alg: 'ES256', kid: 'rogue-ec' }).sign(ec.privateKey);
  if (mode === 'hs256')
    return jwt.setProtectedHeader({ alg: 'HS256', kid: 'rogue-1' })
      .sign(new TextEncoder().encode('0123456789abcdef0123456789abcdef'));
  return jwt.setProtectedHeader({ alg: 'RS256', kid: 'rogue-1' }).sign(good.privateKey);
}

function form(body) {
  return Object.fromEntries(new URLSearchParams(body));
}

http.createServer(async (req, res) => {
  const url = new URL(req.url, base);
  const [, mode, ...rest] = url.pathname.split('/');
  const path = rest.join('/');
  const iss = `${base}/${mode}`;
  let body = '';
  for await (const chunk of req) body += chunk;
  if (path === '.well-known/openid-configuration')
    return json(res, 200, {
      issuer: iss,
      authorization_endpoint: `${iss}/authorize`,
      token_endpoint: `${iss}/token`,
      jwks_uri: `${iss}/jwks`,
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      token_endpoint_auth_methods_supported: ['client_secret_post'],
    });
  if (path === 'jwks')
    return json(res, 200, { keys: [pub, ecpub] });
  if (path === 'authorize') {
    const q = url.searchParams;
    const code = Math.random().toString(36).slice(2);
    codes.set(code, {
      nonce: q.get('nonce'), client_id: q.get('client_id'),
      email: q.get('login_hint') || 'rogue@example.org',
      challenge: q.get('code_challenge'),
    });
    const to = new URL(q.get('redirect_uri'));
    to.searchParams.set('code', code);
    to.searchParams.set('state', q.get('state'));
    res.writeHead(302, { location: to.toString() });
    return res.end();
  }
  if (path === 'token' && req.method === 'POST') {
    const f = form(body);
    const code = codes.get(f.code);
    codes.delete(f.code);
    if (!code || !f.code_verifier || f.client_id !== code.client_id || !f.client_secret)
      return json(res, 400, { error: 'invalid_grant' });
    return json(res, 200, {
      access_token: `at-${f.code}`, token_type: 'Bearer', expires_in: 3600,
      id_token: await idToken(mode, iss, code),
    });
  }
  json(res, 404, { error: 'not_found' });
}).listen(port, '127.0.0.1', () => console.log(`rogue providers on ${base}`));
