// Minimal OIDC provider for e2e tests of Streamlit st.login (loopback, plain http).
// Usage: node provider.mjs --port 9000 --app-port 8501
//   env fallbacks: OIDC_PORT, APP_PORT, OIDC_HOST (default 127.0.0.1),
//                  OIDC_CLIENT_ID, OIDC_CLIENT_SECRET,
//                  APP_URL = app base URL as the browser sees it (default http://127.0.0.1:<app port>;
//                  e.g. https://sanwei.test:8443/sanwei behind a proxy with server.baseUrlPath=sanwei)
import crypto from 'node:crypto';
import { parseArgs } from 'node:util';
import Provider, { interactionPolicy } from 'oidc-provider';

const { values: argv } = parseArgs({
  options: { port: { type: 'string' }, 'app-port': { type: 'string' }, host: { type: 'string' } },
});
const host = argv.host ?? process.env.OIDC_HOST ?? '127.0.0.1';
const port = Number(argv.port ?? process.env.OIDC_PORT ?? 9000);
const appPort = Number(argv['app-port'] ?? process.env.APP_PORT ?? 8501);
const appUrl = (process.env.APP_URL ?? `http://127.0.0.1:${appPort}`).replace(/\/$/, '');
const issuer = `http://${host}:${port}`; // no trailing slash: must equal the id_token "iss"

// Fixed test users. The dev login form accepts any login + any password; the
// "login" field becomes the accountId, so type "alice" or "bob".
const USERS = {
  alice: { sub: 'alice', email: 'alice@example.test', email_verified: true, name: 'Alice Liddell', preferred_username: 'alice' },
  bob: { sub: 'bob', email: 'bob@example.test', email_verified: true, name: 'Bob Builder', preferred_username: 'bob' },
};

// Streamlit always sends prompt=select_account (unless [auth.client_kwargs] prompt is set).
// oidc-provider rejects unknown prompts ("unsupported prompt value requested"), so register
// a requestable no-op "select_account" prompt and make it force the login form (like an
// account chooser) while the interaction has not yet produced a login result.
const policy = interactionPolicy.base();
const { Prompt, Check } = interactionPolicy;
policy.get('login').checks.add(new Check('select_account', 'account selection requested', (ctx) => {
  const { oidc } = ctx;
  return oidc.prompts.has('select_account') && !oidc.result?.login ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT;
}), 0);
const selectAccount = new Prompt({ name: 'select_account', requestable: true });
selectAccount.checks.clear(); // accepted as a parameter, never prompts by itself
policy.add(selectAccount);

const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-rs256', alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.OIDC_CLIENT_ID ?? 'sanwei-test',
    client_secret: process.env.OIDC_CLIENT_SECRET ?? 'sanwei-test-secret',
    redirect_uris: [`${appUrl}/oauth2callback`],
    // st.logout() sends post_logout_redirect_uri = redirect_uri (…/oauth2callback)
    post_logout_redirect_uris: [`${appUrl}/oauth2callback`],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [jwk] },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
  },
  // Authlib/Streamlit only read the ID token (never the userinfo endpoint), so the
  // scope claims must be put into the ID token too.
  conformIdTokenClaims: false,
  async findAccount(ctx, id) {
    const user = USERS[id];
    if (!user) return undefined;
    return { accountId: id, async claims() { return { ...user }; } };
  },
  // Auto-grant the (first-party) test client: no consent screen.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
  interactions: { policy },
  features: {
    devInteractions: { enabled: true }, // built-in login form at /interaction/:uid
    rpInitiatedLogout: { enabled: true }, // end_session_endpoint (st.logout redirects there)
  },
  pkce: { required: () => false }, // Streamlit sends S256 anyway (advertised in discovery)
  ttl: { IdToken: 3600, AccessToken: 3600, Session: 3600, Interaction: 600, Grant: 3600 },
  clientBasedCORS: () => true,
  renderError(ctx, out) { // plain-text errors, easy to see in test logs
    ctx.type = 'text/plain';
    ctx.body = `OIDC error: ${JSON.stringify(out)}`;
  },
});

// No reverse proxy in tests; set provider.proxy = true when behind a TLS-terminating proxy.
provider.on('server_error', (ctx, err) => console.error('server_error', err));
provider.on('authorization.error', (ctx, err) => console.error('authorization.error', err.message, err.error_description ?? ''));
provider.on('grant.error', (ctx, err) => console.error('grant.error', err.message, err.error_description ?? ''));

const server = provider.listen(port, host, () => {
  console.log(`oidc-provider listening on ${issuer} (discovery: ${issuer}/.well-known/openid-configuration)`);
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.close(() => process.exit(0)));
