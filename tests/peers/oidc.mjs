// oidc.mjs PORT REDIRECT_URI... - a real OpenID Connect provider
// (oidc-provider) on 127.0.0.1:PORT for the integration tests.
// Client "passiond" with secret $OIDC_CLIENT_SECRET (default
// "passiond-secret"), client_secret_basic, PKCE.
// Accounts are whatever login name is typed: "<name>" has the verified
// address <name>@example.org; "unverified-<name>" an unverified one.
import Provider from 'oidc-provider';

const [port, ...redirects] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'passiond',
    client_secret: process.env.OIDC_CLIENT_SECRET || 'passiond-secret',
    redirect_uris: redirects,
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  pkce: { required: () => true },
  conformIdTokenClaims: false,
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  cookies: { keys: ['test-only-cookie-key'] },
  async findAccount(ctx, id) {
    const unverified = id.startsWith('unverified-');
    const name = unverified ? id.slice('unverified-'.length) : id;
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: `${name}@example.org`, email_verified: !unverified, name };
      },
    };
  },
});
provider.listen(Number(port), '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
