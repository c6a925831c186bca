#!/usr/bin/env node
// A small Kubernetes API server on loopback (HTTPS) that accepts only the dev provider's valid tokens.
//
// For the `nativeauth kubectl-credential` tests: a real kubectl, configured with the exec credential
// plugin, calls it. It answers just `GET /api/v1/namespaces` (what `kubectl get --raw /api/v1/namespaces`
// asks for; --raw needs no discovery) and `GET /version`, and only with a bearer token it verified for real:
//   * a JWT is an ID token: its signature against the provider's JWKS (RS256, PS256 or ES256), `iss` equal
//     to the trusted issuer, `aud` holding the client id (and `azp` naming it when there are several),
//     `exp` in the future; as an API server's OIDC authenticator does;
//   * anything else is an access token: the provider's UserInfo endpoint must accept it (the dev provider
//     has no introspection endpoint).
// Everything else is 401 with a Kubernetes Status. Each decision is appended to --record as one JSON line
// *before* the response is sent, so a test reads it once kubectl has exited: {"accepted":true,"kind":
// "id_token"|"access_token","sub","exp","aud","token_sha256","path"} or {"accepted":false,"reason",...}.
// The token itself is never written: its SHA-256 (hex) lets a test compare it with what it holds.
//
// HTTPS because kubectl (client-go's clientcmd) sends no credentials at all, exec plugin included, to a
// server it reaches over plain http. The key and a self-signed certificate for 127.0.0.1 are made at start
// by the `openssl` command in --tls-dir (ca.pem is the kubeconfig's certificate-authority).
//
// Prints exactly one JSON line to stdout once it listens, in the provider's shape so the tests' harness
// can start it: {"issuer":"<the trusted issuer>","port":PORT,"server":"https://127.0.0.1:PORT",
// "ca":"<tls-dir>/ca.pem"}. Exits when stdin reaches EOF, and on SIGTERM/SIGINT. Only Node's built-ins
// and the openssl command are used.

import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as https from 'node:https';
import { parseArgs } from 'node:util';

const USAGE = 'usage: node kube-api/server.js --issuer URL --client-id ID --tls-dir DIR [--record FILE] [--ignore-stdin]';

function fail(message) {
  process.stderr.write(`kube-api: ${message}\n${USAGE}\n`);
  process.exit(2);
}

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      issuer: { type: 'string' },
      'client-id': { type: 'string' },
      record: { type: 'string' },
      'tls-dir': { type: 'string' },
      'ignore-stdin': { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  }));
} catch (err) {
  fail(err.message);
}
if (!args.issuer || !args['client-id'] || !args['tls-dir']) fail('--issuer, --client-id and --tls-dir are required');
const issuer = args.issuer;
const clientId = args['client-id'];

async function fetchJson(url, headers = {}) {
  const res = await fetch(url, { headers });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.json();
}

const metadata = await fetchJson(`${issuer}/.well-known/openid-configuration`).catch((e) => fail(e.message));
if (metadata.issuer !== issuer) fail(`the provider names itself ${metadata.issuer}, not ${issuer}`);

let jwks = null;
async function keyFor(kid, refetch) {
  if (!jwks || refetch) jwks = await fetchJson(metadata.jwks_uri);
  return (jwks.keys || []).find((k) => k.kid === kid);
}

function b64json(part) {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

// RFC 7515 §5.2: the signature over "header.payload", with the algorithm the provider advertises.
function signatureValid(alg, jwk, input, signature) {
  const key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
  const data = Buffer.from(input, 'ascii');
  switch (alg) {
    case 'RS256': return crypto.verify('sha256', data, key, signature);
    case 'PS256':
      return crypto.verify('sha256', data, { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING,
        saltLength: 32 }, signature);
    case 'ES256': return crypto.verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature);
    default: return false;
  }
}

// What an API server's OIDC authenticator checks of an ID token. Returns the claims, or throws the reason.
async function verifyIdToken(token) {
  const [h, p, s] = token.split('.');
  const header = b64json(h);
  const claims = b64json(p);
  if (!(metadata.id_token_signing_alg_values_supported || []).includes(header.alg)) {
    throw new Error(`algorithm ${header.alg} not advertised`);
  }
  const jwk = (await keyFor(header.kid, false)) || (await keyFor(header.kid, true));
  if (!jwk) throw new Error(`no key ${header.kid} in the provider's JWKS`);
  if (!signatureValid(header.alg, jwk, `${h}.${p}`, Buffer.from(s, 'base64url'))) throw new Error('bad signature');
  if (claims.iss !== issuer) throw new Error(`iss ${claims.iss} is not ${issuer}`);
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!aud.includes(clientId)) throw new Error(`aud ${JSON.stringify(claims.aud)} lacks ${clientId}`);
  if (aud.length > 1 && claims.azp !== clientId) throw new Error('several audiences and azp is not the client');
  if (typeof claims.exp !== 'number' || claims.exp * 1000 <= Date.now()) throw new Error('expired');
  return { kind: 'id_token', sub: claims.sub, exp: claims.exp, aud: claims.aud };
}

async function verifyAccessToken(token) {
  const res = await fetch(metadata.userinfo_endpoint, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`userinfo refused it (HTTP ${res.status})`);
  const info = await res.json();
  return { kind: 'access_token', sub: info.sub };
}

async function verify(token) {
  if (/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)) return verifyIdToken(token);
  return verifyAccessToken(token);
}

function record(entry) {
  if (args.record) fs.appendFileSync(args.record, `${JSON.stringify(entry)}\n`);
}

function send(res, code, body) {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function status(code, reason, message) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

const NAMESPACES = {
  kind: 'NamespaceList',
  apiVersion: 'v1',
  metadata: { resourceVersion: '1' },
  items: ['default', 'kube-system'].map((name) => ({
    metadata: { name, uid: crypto.createHash('sha256').update(name).digest('hex').slice(0, 32),
      resourceVersion: '1', creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  })),
};

async function handle(req, res) {
  const path = new URL(req.url, 'http://x').pathname;
  const auth = req.headers.authorization || '';
  const m = /^Bearer (\S+)$/.exec(auth);
  if (!m) {
    record({ accepted: false, reason: 'no bearer token', path });
    return send(res, 401, status(401, 'Unauthorized', 'Unauthorized'));
  }
  const token = m[1];
  const token_sha256 = crypto.createHash('sha256').update(token).digest('hex');
  let who;
  try {
    who = await verify(token);
  } catch (e) {
    record({ accepted: false, reason: e.message, token_sha256, path });
    return send(res, 401, status(401, 'Unauthorized', 'Unauthorized'));
  }
  record({ accepted: true, ...who, token_sha256, path });
  if (req.method === 'GET' && path === '/api/v1/namespaces') return send(res, 200, NAMESPACES);
  if (req.method === 'GET' && path === '/version') {
    return send(res, 200, { major: '1', minor: '32', gitVersion: 'v1.32.0-nativeauth-test' });
  }
  return send(res, 404, status(404, 'NotFound', `${path} is not served here`));
}

// A P-256 key and a self-signed certificate for 127.0.0.1, valid one day: the kubeconfig trusts it alone.
const keyPath = `${args['tls-dir']}/key.pem`;
const caPath = `${args['tls-dir']}/ca.pem`;
try {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyPath,
    '-out', caPath], { stdio: ['ignore', 'ignore', 'pipe'] });
} catch (e) {
  fail(`openssl could not make the certificate: ${e.message}`);
}

const tls = { key: fs.readFileSync(keyPath), cert: fs.readFileSync(caPath) };
const server = https.createServer(tls, (req, res) => {
  handle(req, res).catch((e) => {
    process.stderr.write(`kube-api: ${e.stack}\n`);
    send(res, 500, status(500, 'InternalError', 'internal error'));
  });
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  process.stdout.write(`${JSON.stringify({ issuer, port, server: `https://127.0.0.1:${port}`, ca: caPath })}\n`);
});

function stop() {
  server.close();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
if (!args['ignore-stdin']) {
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
}
