// Interoperability check: drive Gatehouse's Authorization Code flow with
// PKCE through openid-client (v6, built on oauth4webapi), a certified client
// library, and let its strict checks judge the server.
//
// Configured entirely by environment variables:
//   GH_ISSUER         issuer identifier, e.g. http://127.0.0.1:8080
//   GH_CLIENT_ID      client identifier
//   GH_CLIENT_SECRET  client secret; empty (or unset) for a public client
//   GH_REDIRECT_URI   the client's registered redirect URI
//   GH_USERNAME       resource owner to sign in as
//   GH_PASSWORD       that user's password
//
// Prints one line per check ("ok - ..." or "not ok - ...") and exits 0 only
// if every check passed.
import * as client from 'openid-client';

const env = (name, { optional = false } = {}) => {
  const v = process.env[name];
  if (v === undefined || (!optional && v === '')) {
    console.error(`flow.mjs: environment variable ${name} is required`);
    process.exit(2);
  }
  return v ?? '';
};

const ISSUER = env('GH_ISSUER');
const CLIENT_ID = env('GH_CLIENT_ID');
const CLIENT_SECRET = env('GH_CLIENT_SECRET', { optional: true });
const REDIRECT_URI = env('GH_REDIRECT_URI');
const USERNAME = env('GH_USERNAME');
const PASSWORD = env('GH_PASSWORD');
const CONFIDENTIAL = CLIENT_SECRET !== '';
// GH_OIDC_ALG set (RS256 or ES256): OpenID Connect mode. Discovery reads
// /.well-known/openid-configuration, a nonce is sent and expected, and
// enableNonRepudiationChecks makes the library verify the ID token's
// signature against /jwks.
const OIDC_ALG = process.env.GH_OIDC_ALG || '';
// With "openid" in the scope the server issues an ID token, which
// openid-client validates (iss, aud, exp, iat) in authorizationCodeGrant.
const SCOPE = 'openid offline_access';

let passed = 0;
let failed = 0;

function ok(name, detail) {
  passed++;
  console.log(`ok - ${name}${detail ? ` (${detail})` : ''}`);
}

function notOk(name, detail) {
  failed++;
  console.log(`not ok - ${name}${detail ? `: ${detail}` : ''}`);
}

// openid-client wraps oauth4webapi's errors (ClientError "invalid response
// encountered" with the precise error as its cause): show the whole chain.
function describe(err) {
  if (!err || typeof err !== 'object') return String(err);
  const parts = [err.name, err.code, err.error, err.error_description, err.message]
    .filter(Boolean);
  let cause = '';
  if (err.cause instanceof Error) cause = ` <- ${describe(err.cause)}`;
  else if (Array.isArray(err.cause)) cause = ` <- ${JSON.stringify(err.cause)}`; // WWW-Authenticate
  else if (err.cause && typeof err.cause === 'object' && err.status) {
    cause = ` <- HTTP ${err.status} ${JSON.stringify(err.cause)}`; // response body
  }
  return parts.join(' / ') + cause;
}

function messages(err) {
  const out = [];
  for (let e = err; e instanceof Error; e = e.cause) out.push(e.message);
  return out.join(' | ');
}

const invalidResponse = (re) => (e) =>
  e.code === 'OAUTH_INVALID_RESPONSE' && re.test(messages(e));

// Run one check; a thrown error fails it. Returns the function's value, or
// undefined on failure.
async function check(name, fn) {
  try {
    const detail = await fn();
    ok(name, typeof detail === 'string' ? detail : undefined);
    return detail;
  } catch (err) {
    notOk(name, describe(err));
    return undefined;
  }
}

// Expect fn to throw; pred(err) says whether it threw the right thing.
async function checkThrows(name, fn, pred, want) {
  let result;
  try {
    result = await fn();
  } catch (err) {
    if (pred(err)) {
      ok(name, `rejected: ${describe(err)}`);
    } else {
      notOk(name, `threw the wrong error (${describe(err)}), wanted ${want}`);
    }
    return;
  }
  notOk(name, `did not throw, wanted ${want} (got ${JSON.stringify(result)})`);
}

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

function fatal(message) {
  console.log(`not ok - ${message}`);
  console.log(`FAILED: ${passed} passed, ${failed + 1} failed (stopped early)`);
  process.exit(1);
}

// ---------------------------------------------------------------------------
// A minimal user agent: fetch with manual redirects and a cookie jar.

class Browser {
  constructor() {
    this.jar = new Map();
  }

  cookieHeader() {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  keepCookies(res) {
    for (const line of res.headers.getSetCookie()) {
      const pair = line.split(';', 1)[0];
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const maxAge = /;\s*max-age=(-?\d+)/i.exec(line);
      if (value === '' || (maxAge && Number(maxAge[1]) <= 0)) {
        this.jar.delete(name);
      } else {
        this.jar.set(name, value);
      }
    }
  }

  async request(url, init = {}) {
    const headers = new Headers(init.headers);
    if (this.jar.size) headers.set('cookie', this.cookieHeader());
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    this.keepCookies(res);
    const body = await res.text();
    return { status: res.status, headers: res.headers, body };
  }

  get(url) {
    return this.request(url);
  }

  post(url, fields) {
    return this.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  }
}

function htmlUnescape(s) {
  return s
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}

function hiddenFields(html) {
  const fields = {};
  const re = /<input type="hidden" name="([^"]*)" value="([^"]*)">/g;
  for (const m of html.matchAll(re)) {
    fields[htmlUnescape(m[1])] = htmlUnescape(m[2]);
  }
  return fields;
}

// Walk the login and consent pages; return the Location of the final 303.
async function signInAndConsent(authorizationUrl, { expectConsent }) {
  const b = new Browser();
  // The forms post back to the authorization endpoint itself.
  const formUrl = new URL(authorizationUrl.pathname, authorizationUrl.origin).href;
  let res = await b.get(authorizationUrl.href);
  let logins = 0;
  let sawConsent = false;
  for (let i = 0; i < 4 && res.status === 200; i++) {
    const fields = hiddenFields(res.body);
    if (fields.gh_action === 'login') {
      assert(logins === 0,
        'the login form came back after signing in (wrong GH_USERNAME/GH_PASSWORD?)');
      logins++;
      res = await b.post(formUrl, { ...fields, username: USERNAME, password: PASSWORD });
    } else if (fields.gh_action === 'consent') {
      sawConsent = true;
      res = await b.post(formUrl, { ...fields, decision: 'allow' });
    } else {
      break;
    }
  }
  assert(res.status !== 200 || !/gh_action/.test(res.body),
    'still on a form after login and consent');
  assert(res.status === 303,
    `final response is ${res.status}, wanted 303: ${res.body.slice(0, 300)}`);
  assert(logins === 1, 'no login form was shown');
  // Consent is asked once; later rounds reuse the stored grant.
  if (expectConsent) assert(sawConsent, 'no consent form was shown');
  const location = res.headers.get('location');
  assert(location, '303 without a Location header');
  // The forms only work if the CSRF and session cookies were kept
  // (names get a __Host- prefix when the server sets Secure cookies).
  for (const c of ['gh_csrf', 'gh_session']) {
    assert([...b.jar.keys()].some((k) => k === c || k === `__Host-${c}`),
      `cookie ${c} was never set`);
  }
  return { location, cookies: [...b.jar.keys()] };
}

// One full front-channel round: returns the callback URL, verifier, state.
async function authorizationRound(config, { expectConsent = false } = {}) {
  const pkceCodeVerifier = client.randomPKCECodeVerifier();
  const codeChallenge = await client.calculatePKCECodeChallenge(pkceCodeVerifier);
  const state = client.randomState();
  const nonce = OIDC_ALG ? client.randomNonce() : undefined;
  const params = {
    redirect_uri: REDIRECT_URI,
    scope: SCOPE,
    state,
    code_challenge: codeChallenge,
    code_challenge_method: 'S256',
  };
  if (nonce) params.nonce = nonce;
  const url = client.buildAuthorizationUrl(config, params);
  const { location, cookies } = await signInAndConsent(url, { expectConsent });
  return { callback: new URL(location), pkceCodeVerifier, state, nonce, cookies };
}

// ---------------------------------------------------------------------------

async function main() {
  console.log(`# openid-client interop: ${CONFIDENTIAL ? 'confidential' : 'public'} ` +
    `client ${CLIENT_ID} at ${ISSUER}`);

  // 1. Discovery from RFC 8414 metadata (.well-known/oauth-authorization-server).
  let config;
  try {
    const metadata = CONFIDENTIAL ? { client_secret: CLIENT_SECRET } : {};
    if (OIDC_ALG) metadata.id_token_signed_response_alg = OIDC_ALG;
    config = await client.discovery(
      new URL(ISSUER),
      CLIENT_ID,
      metadata,
      CONFIDENTIAL ? client.ClientSecretBasic(CLIENT_SECRET) : client.None(),
      { algorithm: OIDC_ALG ? 'oidc' : 'oauth2',
        execute: [client.allowInsecureRequests] },
    );
    if (OIDC_ALG) client.enableNonRepudiationChecks(config);
  } catch (err) {
    fatal(`discovery (oauth2 metadata): ${describe(err)}`);
  }
  const meta = config.serverMetadata();
  ok('discovery (oauth2 metadata)', `issuer ${meta.issuer}`);
  await check('metadata advertises S256 PKCE and RFC 9207 iss', () => {
    assert(meta.issuer === ISSUER, `issuer ${meta.issuer} != ${ISSUER}`);
    assert(meta.supportsPKCE('S256'), 'code_challenge_methods_supported lacks S256');
    assert(meta.authorization_response_iss_parameter_supported === true,
      'authorization_response_iss_parameter_supported is not true');
  });

  // 2 + 3. First authorization round through login and consent.
  let round;
  try {
    round = await authorizationRound(config, { expectConsent: true });
  } catch (err) {
    fatal(`authorization round (login + consent): ${describe(err)}`);
  }
  const { callback, pkceCodeVerifier, state } = round;
  const first = round;
  await check('authorization response: 303 to redirect URI with code, state, iss', () => {
    const base = new URL(callback.href);
    base.search = '';
    assert(base.href === new URL(REDIRECT_URI).href,
      `redirected to ${base.href}, wanted ${REDIRECT_URI}`);
    const q = callback.searchParams;
    assert(q.get('code'), 'no code');
    assert(q.get('state') === state, `state ${q.get('state')} != ${state}`);
    assert(q.get('iss') === ISSUER, `iss ${q.get('iss')} != ${ISSUER}`);
    return `cookies kept: ${round.cookies.join(', ')}`;
  });

  // 5a/5b. RFC 9207 strictness. validateAuthResponse() runs before any token
  // request is sent, so these do not spend the code redeemed below.
  const wrongIss = new URL(callback.href);
  wrongIss.searchParams.set('iss', 'https://attacker.example');
  await checkThrows('callback with a foreign iss is rejected',
    () => client.authorizationCodeGrant(config, wrongIss,
      { pkceCodeVerifier, expectedState: state }),
    invalidResponse(/unexpected "iss"/),
    'an "unexpected iss" OAUTH_INVALID_RESPONSE');

  const noIss = new URL(callback.href);
  noIss.searchParams.delete('iss');
  await checkThrows('callback without iss is rejected',
    () => client.authorizationCodeGrant(config, noIss,
      { pkceCodeVerifier, expectedState: state }),
    invalidResponse(/"iss" \(issuer\) missing/),
    'an "iss missing" OAUTH_INVALID_RESPONSE');

  const wrongState = new URL(callback.href);
  wrongState.searchParams.set('state', client.randomState());
  await checkThrows('callback with a different state is rejected',
    () => client.authorizationCodeGrant(config, wrongState,
      { pkceCodeVerifier, expectedState: state }),
    invalidResponse(/unexpected "state"/),
    'an "unexpected state" OAUTH_INVALID_RESPONSE');

  // 5c. PKCE: fresh codes (a failed redemption may burn a code) redeemed
  // with a wrong verifier, and with none at all.
  const second = await check('second authorization round', () => authorizationRound(config));
  if (second) {
    await checkThrows('code redeemed with a wrong PKCE verifier fails with invalid_grant',
      () => client.authorizationCodeGrant(config, second.callback, {
        pkceCodeVerifier: client.randomPKCECodeVerifier(),
        expectedState: second.state,
      }),
      (e) => e.error === 'invalid_grant',
      'a ResponseBodyError with error=invalid_grant');
  }
  const third = await check('third authorization round', () => authorizationRound(config));
  if (third) {
    // RFC 7636 4.6 / RFC 9700 2.1.1: a code bound to a challenge must not be
    // redeemed without a verifier (invalid_grant; invalid_request tolerated).
    await checkThrows('code redeemed without a PKCE verifier is refused',
      () => client.authorizationCodeGrant(config, third.callback, {
        expectedState: third.state,
      }),
      (e) => e.error === 'invalid_grant' || e.error === 'invalid_request',
      'a ResponseBodyError with error=invalid_grant or invalid_request');
  }

  // 4. The real redemption, with every check of the library on.
  const tokens = await check('authorizationCodeGrant with PKCE, state and iss checks', async () => {
    const checks = { pkceCodeVerifier, expectedState: state };
    if (OIDC_ALG) checks.expectedNonce = first.nonce;
    const t = await client.authorizationCodeGrant(config, callback, checks);
    return t;
  });
  if (!tokens) fatal('no tokens: cannot continue');
  await check('token response: Bearer gate_at_ access token, refresh token, ID token', () => {
    assert(tokens.token_type === 'bearer', `token_type ${tokens.token_type}`);
    assert(tokens.access_token.startsWith('gate_at_'),
      `access_token ${tokens.access_token.slice(0, 12)}...`);
    assert(typeof tokens.refresh_token === 'string' && tokens.refresh_token,
      'no refresh_token');
    assert(typeof tokens.expiresIn() === 'number' && tokens.expiresIn() > 0,
      `expires_in ${tokens.expires_in}`);
    assert(typeof tokens.id_token === 'string', 'no id_token for openid');
    const c = tokens.claims();
    assert(c.iss === ISSUER, `id_token iss ${c.iss}`);
    assert(c.aud === CLIENT_ID, `id_token aud ${c.aud}`);
    assert(c.sub.startsWith('usr_'), `id_token sub ${c.sub}`);
    assert(typeof c.auth_time === 'number', 'id_token without auth_time');
    if (OIDC_ALG) {
      const hdr = JSON.parse(Buffer.from(tokens.id_token.split('.')[0],
        'base64url'));
      assert(hdr.alg === OIDC_ALG, `id_token alg ${hdr.alg} != ${OIDC_ALG}`);
      assert(c.nonce === first.nonce, 'id_token nonce differs');
    }
    return `scope "${tokens.scope}", expires in ${tokens.expiresIn()}s`;
  });

  // 6. Refresh, introspection, revocation.
  const refreshed = await check('refreshTokenGrant', () =>
    client.refreshTokenGrant(config, tokens.refresh_token));
  if (!refreshed) fatal('refresh failed: cannot continue');
  await check('refresh returns a new access token and a new, different refresh token', () => {
    assert(refreshed.access_token.startsWith('gate_at_'), 'access_token prefix');
    assert(refreshed.access_token !== tokens.access_token, 'same access token');
    assert(typeof refreshed.refresh_token === 'string' && refreshed.refresh_token,
      'no refresh_token in the refresh response');
    assert(refreshed.refresh_token !== tokens.refresh_token, 'refresh token not rotated');
  });

  const current = refreshed.access_token;
  if (CONFIDENTIAL) {
    await check('tokenIntrospection: the new access token is active', async () => {
      const i = await client.tokenIntrospection(config, current);
      assert(i.active === true, `active is ${i.active}`);
      assert(i.client_id === CLIENT_ID, `client_id ${i.client_id}`);
      return `scope "${i.scope}"`;
    });
  } else {
    console.log('# tokenIntrospection skipped: public client (the endpoint needs a secret)');
  }

  await check('tokenRevocation of the access token', () =>
    client.tokenRevocation(config, current, { token_type_hint: 'access_token' }));

  if (CONFIDENTIAL) {
    await check('tokenIntrospection after revocation: inactive', async () => {
      const i = await client.tokenIntrospection(config, current);
      assert(i.active === false, `active is ${i.active}`);
    });
  }

  await check('tokenRevocation of the rotated refresh token', () =>
    client.tokenRevocation(config, refreshed.refresh_token,
      { token_type_hint: 'refresh_token' }));
  await checkThrows('refreshTokenGrant with the revoked refresh token fails',
    () => client.refreshTokenGrant(config, refreshed.refresh_token),
    (e) => e.error === 'invalid_grant',
    'a ResponseBodyError with error=invalid_grant');

  // Replaying the redeemed code must fail (RFC 6749 4.1.2: single use). Done
  // last: the server also revokes every token minted from a replayed code.
  await checkThrows('replaying the redeemed code fails with invalid_grant',
    () => client.authorizationCodeGrant(config, callback,
      { pkceCodeVerifier, expectedState: state }),
    (e) => e.error === 'invalid_grant',
    'a ResponseBodyError with error=invalid_grant');

  // 7. A refused client (RFC 6749 5.2). Without an Authorization header
  // the answer is 400 and openid-client reports its JSON error; with Basic
  // it is 401 with a Basic challenge, which openid-client reports instead
  // of the body (it reads challenges first).
  const stranger = (auth) => {
    const c = new client.Configuration(meta, 'cl_nobody_here', {}, auth);
    client.allowInsecureRequests(c);
    return c;
  };
  await checkThrows('invalid_client without an Authorization header: 400',
    () => client.tokenRevocation(
      stranger(client.ClientSecretPost('gate_cs_wrong')), 'x'),
    (e) => e.error === 'invalid_client' && e.status === 400,
    'a ResponseBodyError with error=invalid_client and status 400');
  await checkThrows('invalid_client with Basic: 401 with a Basic challenge',
    () => client.tokenRevocation(
      stranger(client.ClientSecretBasic('gate_cs_wrong')), 'x'),
    (e) => e.code === 'OAUTH_WWW_AUTHENTICATE_CHALLENGE' &&
      e.status === 401 && e.cause?.[0]?.scheme === 'basic' &&
      e.cause[0].parameters?.realm === 'gatehouse',
    'a WWWAuthenticateChallengeError for Basic realm="gatehouse"');

  const summary = `${passed} passed, ${failed} failed`;
  if (failed) {
    console.log(`FAILED: ${summary}`);
    process.exit(1);
  }
  console.log(`OK: ${summary}`);
}

main().catch((err) => {
  console.log(`not ok - unexpected error: ${describe(err)}`);
  if (err?.stack) console.log(err.stack.split('\n').map((l) => `# ${l}`).join('\n'));
  console.log(`FAILED: ${passed} passed, ${failed + 1} failed`);
  process.exit(1);
});
