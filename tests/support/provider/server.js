#!/usr/bin/env node
// Development OpenID Provider on loopback for nativeauth's tests and demo.
//
// Built on oidc-provider. Prints exactly one JSON line to stdout once it is listening:
//   {"issuer":"http://127.0.0.1:PORT[/path]","port":PORT}
// (with --public-origin, the issuer names that origin and "port" is still the port it listens on).
// Everything else goes to stderr. Exits when stdin reaches EOF, and on SIGTERM/SIGINT.
// See ../README.md for the full contract.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as querystring from 'node:querystring';
import { parseArgs } from 'node:util';

// oidc-provider prints notices with console.info (stdout). stdout carries only the JSON line,
// so every console method is routed to stderr before the library is loaded.
const toStderr = (...args) => console.error(...args);
console.log = toStderr;
console.info = toStderr;
console.debug = toStderr;

const USAGE = `usage: node provider/server.js [--port 0] [--host 127.0.0.1] [--alg RS256|PS256|ES256]
       [--path /tenant] [--access-ttl SECONDS] [--id-token-ttl SECONDS] [--refresh-ttl SECONDS]
       [--events-file PATH] [--conform-id-token-claims] [--ignore-stdin]
       [--public-origin http://127.0.0.1:PORT] [--device-ttl SECONDS] [--device-interval SECONDS]
       [--no-device-flow] [--require-par | --no-par] [--dpop-nonce | --no-dpop]
       [--exact-post-logout-redirect-uri URI]...`;

function fail(message) {
  process.stderr.write(`provider: ${message}\n${USAGE}\n`);
  process.exit(2);
}

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      alg: { type: 'string', default: 'RS256' },
      path: { type: 'string', default: '' },
      'access-ttl': { type: 'string', default: '3600' },
      'id-token-ttl': { type: 'string', default: '3600' },
      'refresh-ttl': { type: 'string', default: String(14 * 24 * 60 * 60) },
      'device-ttl': { type: 'string', default: '600' },
      'device-interval': { type: 'string' },
      'no-device-flow': { type: 'boolean', default: false },
      'require-par': { type: 'boolean', default: false },
      'dpop-nonce': { type: 'boolean', default: false },
      'no-dpop': { type: 'boolean', default: false },
      'no-par': { type: 'boolean', default: false },
      'events-file': { type: 'string' },
      'conform-id-token-claims': { type: 'boolean', default: false },
      'ignore-stdin': { type: 'boolean', default: false },
      'public-origin': { type: 'string' },
      'exact-post-logout-redirect-uri': { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  }));
} catch (err) {
  fail(err.message);
}
if (args.help) {
  process.stderr.write(`${USAGE}\n`);
  process.exit(0);
}

function positiveInt(name, { allowZero = false } = {}) {
  const raw = args[name];
  if (!/^\d+$/.test(raw)) fail(`--${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  const value = Number(raw);
  if (!allowZero && value === 0) fail(`--${name} must be positive`);
  return value;
}

const port = positiveInt('port', { allowZero: true });
if (port > 65535) fail('--port out of range');
const host = args.host;
const alg = args.alg.toUpperCase();
if (!['RS256', 'PS256', 'ES256'].includes(alg)) fail(`unsupported --alg ${args.alg}`);
let prefix = args.path;
if (prefix) {
  if (!prefix.startsWith('/')) prefix = `/${prefix}`;
  prefix = prefix.replace(/\/+$/, '');
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(prefix)) fail(`invalid --path ${args.path}`);
}
const accessTtl = positiveInt('access-ttl');
const SHORT_LIVED_CLIENT = 'nativeauth-short-lived';
const DPOP_CLIENT = 'nativeauth-dpop';
const idTokenTtl = positiveInt('id-token-ttl');
const refreshTtl = positiveInt('refresh-ttl');
const deviceTtl = positiveInt('device-ttl');
// oidc-provider sends no `interval` (clients then use RFC 8628's 5 s) and never answers slow_down.
const deviceInterval = args['device-interval'] === undefined ? undefined : positiveInt('device-interval');
const eventsFile = args['events-file'];
// Pushed Authorization Requests (RFC 9126): offered by default (POST /request), not required.
// --require-par makes every authorization request go through it (`require_pushed_authorization_requests`
// in the metadata, RFC 9126 §5; /auth then refuses a request without a request_uri); --no-par turns the
// endpoint off, so the metadata names none.
if (args['require-par'] && args['no-par']) fail('--require-par and --no-par exclude each other');
// DPoP (RFC 9449) is offered by default (ES256 among dpop_signing_alg_values_supported), and required for
// the client DPOP_CLIENT (dpop_bound_access_tokens). --dpop-nonce makes the token and userinfo endpoints
// demand a server nonce in every proof (use_dpop_nonce, RFC 9449 §8, §9); --no-dpop turns DPoP off.
if (args['dpop-nonce'] && args['no-dpop']) fail('--dpop-nonce and --no-dpop exclude each other');
// --exact-post-logout-redirect-uri: like providers that ignore RFC 8252 §7.3 for post-logout URIs, only
// these URIs are registered and they are compared exactly, port included.
const exactPostLogout = args['exact-post-logout-redirect-uri'];
if (exactPostLogout) {
  for (const uri of exactPostLogout) {
    try {
      new URL(uri); // eslint-disable-line no-new
    } catch {
      fail(`invalid --exact-post-logout-redirect-uri ${JSON.stringify(uri)}`);
    }
  }
}

// --public-origin: the provider is reached through something in front of it (the tests' fault proxy).
// The issuer and every URL it advertises use that origin; it still listens on --host/--port.
let publicOrigin = null;
if (args['public-origin'] !== undefined) {
  let u;
  try {
    u = new URL(args['public-origin']);
  } catch {
    fail(`invalid --public-origin ${JSON.stringify(args['public-origin'])}`);
  }
  if (u.protocol !== 'http:' || !u.port || (u.pathname !== '/' && u.pathname !== '')
      || u.search || u.hash || u.username || u.password) {
    fail(`--public-origin must be http://HOST:PORT with nothing after the port, got ${args['public-origin']}`);
  }
  publicOrigin = u.origin;
}

const { default: Provider } = await import('oidc-provider');

// ---------------------------------------------------------------------------------------------
// Event counters (GET /__test/events) and optional JSON-lines event log.

const GRANT_TYPES = ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'];

function freshCounters() {
  return {
    'grant.success': Object.fromEntries(GRANT_TYPES.map((g) => [g, 0])),
    'grant.error': 0,
    'grant.revoked': 0,
    'end_session.success': 0,
    'revocation.success': 0,
    'authorization.success': 0,
    'authorization.error': 0,
    'pushed_authorization_request.success': 0,
    'pushed_authorization_request.error': 0,
    'token.dpop': 0, // token responses with token_type DPoP (any grant)
    'token.bearer': 0, // token responses with token_type Bearer
    errors: {}, // error code -> count, over grant.error, authorization.error and pushed_authorization_request.error
  };
}
let counters = freshCounters();

function record(event, detail = {}) {
  if (event === 'grant.success') {
    const gt = detail.grant_type || 'unknown';
    counters['grant.success'][gt] = (counters['grant.success'][gt] || 0) + 1;
  } else {
    counters[event] = (counters[event] || 0) + 1;
  }
  if (detail.error) counters.errors[detail.error] = (counters.errors[detail.error] || 0) + 1;
  if (eventsFile) {
    try {
      fs.appendFileSync(eventsFile, `${JSON.stringify({ time: new Date().toISOString(), event, ...detail })}\n`);
    } catch (err) {
      process.stderr.write(`provider: cannot append to ${eventsFile}: ${err.message}\n`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Storage: a plain Map (oidc-provider's default in-memory adapter is a 1,000-entry LRU that
// silently drops grants on long runs).

const store = new Map(); // `${model}:${id}` -> { payload, expiresAt }
const grantIndex = new Map(); // grantId -> Set of keys
const userCodeIndex = new Map(); // userCode -> key
const uidIndex = new Map(); // uid -> key

function alive(entry) {
  return entry && (!entry.expiresAt || entry.expiresAt > Date.now());
}

class MapAdapter {
  constructor(model) {
    this.model = model;
  }

  key(id) {
    return `${this.model}:${id}`;
  }

  async upsert(id, payload, expiresIn) {
    const key = this.key(id);
    store.set(key, {
      payload: structuredClone(payload),
      expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined,
    });
    if (payload.grantId) {
      if (!grantIndex.has(payload.grantId)) grantIndex.set(payload.grantId, new Set());
      grantIndex.get(payload.grantId).add(key);
    }
    if (payload.userCode) userCodeIndex.set(payload.userCode, key);
    if (payload.uid) uidIndex.set(payload.uid, key);
  }

  async find(id) {
    const entry = store.get(this.key(id));
    return alive(entry) ? structuredClone(entry.payload) : undefined;
  }

  async findByUserCode(userCode) {
    const entry = store.get(userCodeIndex.get(userCode));
    return alive(entry) ? structuredClone(entry.payload) : undefined;
  }

  async findByUid(uid) {
    const entry = store.get(uidIndex.get(uid));
    return alive(entry) ? structuredClone(entry.payload) : undefined;
  }

  async consume(id) {
    const entry = store.get(this.key(id));
    if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    store.delete(this.key(id));
  }

  async revokeByGrantId(grantId) {
    const keys = grantIndex.get(grantId);
    if (keys) for (const key of keys) store.delete(key);
    grantIndex.delete(grantId);
  }
}

setInterval(() => {
  const now = Date.now();
  for (const [key, entry] of store) if (entry.expiresAt && entry.expiresAt <= now) store.delete(key);
  for (const [code, key] of userCodeIndex) if (!store.has(key)) userCodeIndex.delete(code);
  for (const [uid, key] of uidIndex) if (!store.has(key)) uidIndex.delete(uid);
  for (const [grantId, keys] of grantIndex) {
    for (const key of keys) if (!store.has(key)) keys.delete(key);
    if (!keys.size) grantIndex.delete(grantId);
  }
}, 60_000).unref();

// ---------------------------------------------------------------------------------------------
// Accounts: any login name is accepted (the dev login page takes any password).

function displayName(login) {
  return `${login.charAt(0).toUpperCase()}${login.slice(1)} Example`;
}

async function findAccount(_ctx, sub) {
  return {
    accountId: sub,
    async claims() {
      return {
        sub,
        name: displayName(sub),
        email: `${sub}@example.test`,
        email_verified: true,
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Signing key, generated per run (nothing committed).

// The key leaves generateKeyPairSync as DER bytes and is exported to a JWK from a new KeyObject.
// Exporting the generated KeyObject directly deadlocks now and then (Node 20.20; 1 start in ~50
// here): export({format: 'jwk'}) holds the key's mutex while it allocates, the allocation runs the
// garbage collector, and the collector destroys the finished key generation job, whose destructor
// takes the same mutex (gdb: ~KeyGenJob under ExportJWKRsaKey on the main thread). A KeyObject made
// from the bytes shares no mutex with the job.
function signingJwk() {
  const kid = crypto.randomBytes(8).toString('hex');
  const encoding = {
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs8', format: 'der' },
  };
  const { privateKey: der } = alg === 'ES256'
    ? crypto.generateKeyPairSync('ec', { namedCurve: 'P-256', ...encoding })
    : crypto.generateKeyPairSync('rsa', { modulusLength: 2048, ...encoding });
  const privateKey = crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  return { ...privateKey.export({ format: 'jwk' }), kid, use: 'sig', alg };
}

// ---------------------------------------------------------------------------------------------
// offline_access without prompt=consent.
//
// oidc-provider follows OIDC Core 11 literally and silently drops offline_access from an
// authorization request whose prompt does not contain "consent". Native clients get a consent page
// on every authorization anyway, so adding "consent" to prompt changes nothing the user sees, and
// offline_access survives. Applied to GET/POST /auth and POST /request (PAR) when the request
// carries its parameters in the clear (no request / request_uri) and prompt is not "none".

function wantsConsentAdded(params) {
  if (typeof params.scope !== 'string' || !params.scope.split(' ').includes('offline_access')) return false;
  if (params.request !== undefined || params.request_uri !== undefined) return false;
  const prompts = typeof params.prompt === 'string' ? params.prompt.split(' ').filter(Boolean) : [];
  if (prompts.includes('none') || prompts.includes('consent')) return false;
  return true;
}

function withConsent(params) {
  const prompts = typeof params.prompt === 'string' ? params.prompt.split(' ').filter(Boolean) : [];
  return { ...params, prompt: [...prompts, 'consent'].join(' ') };
}

async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 56 * 1024) throw new Error('request entity too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

// Rewrites req (url or body). `path` is the path inside the issuer (prefix already removed).
async function keepOfflineAccess(req, path) {
  if (path === '/auth' && req.method === 'GET') {
    const q = req.url.indexOf('?');
    if (q === -1) return;
    const params = querystring.parse(req.url.slice(q + 1));
    if (Object.values(params).some(Array.isArray)) return; // duplicates: let the provider reject
    if (wantsConsentAdded(params)) {
      req.url = `${req.url.slice(0, q)}?${querystring.stringify(withConsent(params))}`;
    }
    return;
  }
  if ((path === '/auth' || path === '/request') && req.method === 'POST'
      && /^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] || '')) {
    const raw = await readBody(req);
    const params = querystring.parse(raw);
    let body = raw;
    if (!Object.values(params).some(Array.isArray) && wantsConsentAdded(params)) {
      body = querystring.stringify(withConsent(params));
    }
    // oidc-provider reads an already-consumed body from req.body.
    req.body = body;
    req.headers['content-length'] = String(Buffer.byteLength(body));
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP server first (the issuer contains the port), then the provider.

let handler = null;
const server = http.createServer((req, res) => {
  if (!handler) {
    res.writeHead(503).end();
    return;
  }
  handler(req, res).catch((err) => {
    process.stderr.write(`provider: request failed: ${err.stack || err}\n`);
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
    res.end('internal error\n');
  });
});
server.keepAliveTimeout = 5000;

await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(port, host, () => {
    server.off('error', reject);
    resolve();
  });
}).catch((err) => fail(`cannot listen on ${host}:${port}: ${err.message}`));

const boundPort = server.address().port;
const hostForUrl = host.includes(':') ? `[${host}]` : host;
const origin = publicOrigin || `http://${hostForUrl}:${boundPort}`;
const publicHost = new URL(origin).host; // what URLs built from the Host header must name
const issuer = `${origin}${prefix}`;

const clientDefaults = {
  application_type: 'native',
  token_endpoint_auth_method: 'none',
  response_types: ['code'],
  grant_types: ['authorization_code', 'refresh_token',
    ...(args['no-device-flow'] ? [] : ['urn:ietf:params:oauth:grant-type:device_code'])],
  redirect_uris: ['http://127.0.0.1/callback', 'http://[::1]/callback', 'com.example.app:/callback',
    'com.example.nativeauth-qt:/callback'],
  post_logout_redirect_uris: exactPostLogout || [
    'http://127.0.0.1/logout',
    'http://[::1]/logout',
    'http://127.0.0.1/callback',
    'com.example.app:/logout',
    'com.example.nativeauth-qt:/logout',
  ],
  id_token_signed_response_alg: alg,
};

const provider = new Provider(issuer, {
  adapter: MapAdapter,
  clients: ['nativeauth-cli', 'nativeauth-test', 'nativeauth-test-b', SHORT_LIVED_CLIENT, DPOP_CLIENT]
    .map((client_id) => ({
      client_id,
      client_name: client_id,
      ...clientDefaults,
      ...(client_id === DPOP_CLIENT ? { dpop_bound_access_tokens: true } : {}),
    })),
  jwks: { keys: [signingJwk()] },
  enabledJWA: {
    idTokenSigningAlgValues: [alg],
  },
  findAccount,
  claims: {
    openid: ['sub'],
    profile: ['name'],
    email: ['email', 'email_verified'],
  },
  scopes: ['openid', 'offline_access', 'profile', 'email'],
  responseTypes: ['code'],
  // Scope claims also go into the ID token (like most hosted providers); --conform-id-token-claims
  // restores oidc-provider's default of putting them only in the userinfo response.
  conformIdTokenClaims: args['conform-id-token-claims'],
  cookies: {
    // Per-port names: several providers on 127.0.0.1 share one cookie jar (cookies ignore ports).
    names: {
      session: `_session_${boundPort}`,
      interaction: `_interaction_${boundPort}`,
      resume: `_interaction_resume_${boundPort}`,
    },
    long: { httpOnly: true, sameSite: 'lax', secure: false },
    short: { httpOnly: true, sameSite: 'lax', secure: false },
    keys: [crypto.randomBytes(32).toString('base64url')],
  },
  features: {
    devInteractions: { enabled: true },
    dPoP: {
      enabled: !args['no-dpop'],
      nonceSecret: args['dpop-nonce'] ? crypto.randomBytes(32) : undefined,
      requireNonce: () => args['dpop-nonce'],
    },
    deviceFlow: { enabled: !args['no-device-flow'] },
    pushedAuthorizationRequests: {
      enabled: !args['no-par'],
      requirePushedAuthorizationRequests: args['require-par'],
    },
    revocation: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    introspection: { enabled: false },
    userinfo: { enabled: true },
  },
  pkce: {
    required: () => true,
  },
  issueRefreshToken: async (_ctx, client, source) => client.grantTypeAllowed('refresh_token')
    && source.scopes.has('offline_access'),
  ttl: {
    // SHORT_LIVED_CLIENT's access tokens live 8 s, shorter than the SDK's default refresh margin (60 s),
    // as some providers issue them: for the tests of refresh timing with short-lived tokens.
    AccessToken: (_ctx, _token, client) => (client?.clientId === SHORT_LIVED_CLIENT ? 8 : accessTtl),
    IdToken: idTokenTtl,
    RefreshToken: refreshTtl,
    Grant: Math.max(refreshTtl, 14 * 24 * 60 * 60),
    Session: Math.max(refreshTtl, 14 * 24 * 60 * 60),
    AuthorizationCode: 60,
    DeviceCode: deviceTtl,
    Interaction: 3600,
  },
});
provider.proxy = false;
if (exactPostLogout) {
  // oidc-provider lets a native client's loopback URIs differ in the port; these must not.
  provider.Client.prototype.postLogoutRedirectUriAllowed = function exact(value) {
    return this.postLogoutRedirectUris.includes(value);
  };
}

provider.on('grant.success', (ctx) => record('grant.success', {
  grant_type: ctx.oidc.params?.grant_type,
  client_id: ctx.oidc.client?.clientId,
}));
provider.on('grant.error', (ctx, err) => record('grant.error', {
  grant_type: ctx.oidc?.params?.grant_type,
  client_id: ctx.oidc?.client?.clientId,
  error: err.error || err.name,
  error_description: err.error_description,
}));
provider.on('grant.revoked', (ctx, grantId) => record('grant.revoked', { grant_id: grantId }));
provider.on('end_session.success', (ctx) => record('end_session.success', {
  client_id: ctx.oidc?.client?.clientId,
}));
provider.on('authorization.success', (ctx) => record('authorization.success', {
  client_id: ctx.oidc?.client?.clientId,
}));
provider.on('authorization.error', (ctx, err) => record('authorization.error', {
  client_id: ctx.oidc?.client?.clientId,
  error: err.error || err.name,
  error_description: err.error_description,
}));
provider.on('pushed_authorization_request.success', (ctx) => record('pushed_authorization_request.success', {
  client_id: ctx.oidc?.client?.clientId,
}));
provider.on('pushed_authorization_request.error', (ctx, err) => record('pushed_authorization_request.error', {
  client_id: ctx.oidc?.client?.clientId,
  error: err.error || err.name,
  error_description: err.error_description,
}));
provider.on('server_error', (ctx, err) => {
  process.stderr.write(`provider: server_error: ${err.stack || err}\n`);
});
// The revocation endpoint emits no success event.
provider.use(async (ctx, next) => {
  await next();
  if (ctx.oidc?.route === 'token' && ctx.status === 200 && ctx.body && typeof ctx.body === 'object') {
    const type = String(ctx.body.token_type || '').toLowerCase();
    if (type === 'dpop') record('token.dpop');
    else if (type === 'bearer') record('token.bearer');
  }
  if (ctx.oidc?.route === 'revocation' && ctx.status === 200) {
    record('revocation.success', { client_id: ctx.oidc.client?.clientId });
  }
});

// --device-interval: advertise a poll interval in the device authorization response (RFC 8628 §3.2).
provider.use(async (ctx, next) => {
  await next();
  if (deviceInterval !== undefined && ctx.oidc?.route === 'device_authorization' && ctx.status === 200
      && ctx.body && typeof ctx.body === 'object') {
    ctx.body = { ...ctx.body, interval: deviceInterval };
  }
});

const callback = provider.callback();

function sendJson(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(`${JSON.stringify(body)}\n`);
}

handler = async (req, res) => {
  // oidc-provider builds endpoint URLs from the Host header; with --public-origin they must name the
  // public origin even when a request arrives directly on the listening port.
  if (publicOrigin) req.headers.host = publicHost;
  const q = req.url.indexOf('?');
  const pathname = q === -1 ? req.url : req.url.slice(0, q);

  if (pathname === '/__test/events' || pathname === '/__test/events/reset') {
    if (pathname === '/__test/events' && (req.method === 'GET' || req.method === 'HEAD')) {
      sendJson(res, 200, counters);
    } else if (pathname === '/__test/events/reset' && req.method === 'POST') {
      counters = freshCounters();
      sendJson(res, 200, counters);
    } else {
      sendJson(res, 405, { error: 'method not allowed' });
    }
    return;
  }

  let inner = pathname;
  if (prefix) {
    if (pathname !== prefix && !pathname.startsWith(`${prefix}/`)) {
      sendJson(res, 404, { error: 'not_found', error_description: `outside the issuer path ${prefix}` });
      return;
    }
    inner = pathname.slice(prefix.length) || '/';
  }

  await keepOfflineAccess(req, inner);

  if (prefix) {
    // oidc-provider derives its mount path from req.originalUrl vs req.url.
    const q2 = req.url.indexOf('?');
    const query = q2 === -1 ? '' : req.url.slice(q2);
    req.originalUrl = `${prefix}${inner === '/' ? '/' : inner}${query}`;
    req.url = `${inner}${query}`;
  }
  callback(req, res);
};

// ---------------------------------------------------------------------------------------------
// Lifetime: stop on stdin EOF (parent gone) and on SIGTERM/SIGINT.

let stopping = false;
function stop(reason) {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`provider: stopping (${reason})\n`);
  server.close();
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 1000).unref();
  server.once('close', () => process.exit(0));
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGHUP', () => stop('SIGHUP'));
if (!args['ignore-stdin']) {
  process.stdin.on('end', () => stop('stdin closed'));
  process.stdin.on('error', () => stop('stdin error'));
  process.stdin.resume();
}

process.stderr.write(`provider: issuer ${issuer}${publicOrigin ? ` (listening on ${hostForUrl}:${boundPort})` : ''} (alg ${alg}, access ${accessTtl}s, id_token ${idTokenTtl}s, refresh ${refreshTtl}s, device code ${deviceTtl}s${deviceInterval !== undefined ? ` every ${deviceInterval}s` : ''}, PAR ${args['no-par'] ? 'off' : args['require-par'] ? 'required' : 'offered'}, DPoP ${args['no-dpop'] ? 'off' : args['dpop-nonce'] ? 'with nonces' : 'offered'})\n`);
process.stdout.write(`${JSON.stringify({ issuer, port: boundPort })}\n`);
