#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// git-server: a git smart-HTTP server on loopback for tests of `nativeauth git-credential`. It runs
// `git http-backend` as CGI and lets a request through only with HTTP Basic credentials whose password
// the OpenID provider accepts as an access token (its UserInfo endpoint answers 200), as a forge that
// takes OAuth tokens as passwords does. No password is ever written anywhere: the counters hold a short
// SHA-256 prefix of each one, enough for a test to tell tokens apart.
//
//   node server.js --project-root DIR --issuer URL [--username NAME] [--realm TEXT]
//
// Protocol (see ../README.md):
//   stdout, first line:  {"port":P}        listening on 127.0.0.1:P (the provider's metadata was read first)
//   stdin, one command a line, each answered with one stdout line {"ok":true,...} or {"ok":false,"error":...}:
//     refuse <n>   the next n requests whose password the provider accepts are answered 401 anyway, and
//                  those passwords stay refused from then on (as a token revoked at the API would)
//     stats        {"ok":true,"requests":N,"unauthenticated":N,"accepted":N,"refused":N,
//                   "accepted_tokens":[hash...],"refused_tokens":[hash...],"usernames":[...]}
//                  (each list in order of first sight, without repeats)
// Exits (code 0) when stdin reaches EOF, and on SIGTERM/SIGINT/SIGHUP.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import * as readline from 'node:readline';

function out(obj) {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}
function log(message) {
  process.stderr.write(`git-server: ${message}\n`);
}

function parseArgs(argv) {
  const opts = { projectRoot: '', issuer: '', username: '', realm: 'nativeauth test git server' };
  for (let i = 0; i < argv.length; i++) {
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${argv[i]} needs a value`);
      return argv[++i];
    };
    switch (argv[i]) {
      case '--project-root': opts.projectRoot = next(); break;
      case '--issuer': opts.issuer = next(); break;
      case '--username': opts.username = next(); break;
      case '--realm': opts.realm = next(); break;
      default: throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  if (!opts.projectRoot || !opts.issuer) throw new Error('--project-root and --issuer are required');
  return opts;
}

let opts;
try {
  opts = parseArgs(process.argv.slice(2));
} catch (e) {
  log(e.message);
  process.exit(2);
}

const hash = (secret) => createHash('sha256').update(secret).digest('hex').slice(0, 16);
const counters = { requests: 0, unauthenticated: 0, accepted: 0, refused: 0 };
const acceptedTokens = [];
const refusedTokens = [];
const usernames = [];
const refusedForever = new Set(); // hashes
let refuseNext = 0;
let userinfoEndpoint = '';

function remember(list, value) {
  if (!list.includes(value)) list.push(value);
}

function challenge(res) {
  res.writeHead(401, {
    'WWW-Authenticate': `Basic realm="${opts.realm}"`,
    'Content-Type': 'text/plain',
  });
  res.end('authentication required\n');
}

/// Basic credentials (RFC 7617) → {username, password}, or null.
function credentials(req) {
  const header = req.headers.authorization || '';
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/// Whether the provider takes `token` as an access token: its UserInfo endpoint answers 200.
async function providerAccepts(token) {
  try {
    const r = await fetch(userinfoEndpoint, { headers: { Authorization: `Bearer ${token}` } });
    await r.arrayBuffer();
    return r.status === 200;
  } catch (e) {
    log(`userinfo request failed: ${e.message}`);
    return false;
  }
}

/// RFC 3875 CGI: `git http-backend` with the request's meta-variables; its body streamed both ways.
function runBackend(req, res, url, username) {
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME || '/nonexistent',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_PROJECT_ROOT: opts.projectRoot,
    GIT_HTTP_EXPORT_ALL: '1',
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_PROTOCOL: `HTTP/${req.httpVersion}`,
    REQUEST_METHOD: req.method,
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.slice(1),
    REMOTE_USER: username,
    REMOTE_ADDR: req.socket.remoteAddress || '',
    AUTH_TYPE: 'Basic',
  };
  if (req.headers['content-type']) env.CONTENT_TYPE = req.headers['content-type'];
  if (req.headers['content-length']) env.CONTENT_LENGTH = req.headers['content-length'];
  if (req.headers['content-encoding']) env.HTTP_CONTENT_ENCODING = req.headers['content-encoding'];
  if (req.headers['git-protocol']) env.GIT_PROTOCOL = req.headers['git-protocol'];
  const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stderr.on('data', (d) => process.stderr.write(`git-server: http-backend: ${d}`));
  child.on('error', (e) => {
    log(`cannot run git http-backend: ${e.message}`);
    if (!res.headersSent) res.writeHead(500);
    res.end();
  });
  req.pipe(child.stdin);
  child.stdin.on('error', () => {}); // the backend may answer before reading everything

  let head = Buffer.alloc(0);
  let headerDone = false;
  child.stdout.on('data', (chunk) => {
    if (headerDone) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const text = head.toString('latin1');
    let end = text.indexOf('\r\n\r\n');
    let sep = 4;
    if (end < 0 || (text.indexOf('\n\n') >= 0 && text.indexOf('\n\n') < end)) {
      end = text.indexOf('\n\n');
      sep = 2;
    }
    if (end < 0) return;
    headerDone = true;
    let status = 200;
    const headers = {};
    for (const line of text.slice(0, end).split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === 'status') status = parseInt(value, 10) || 500;
      else headers[name] = value;
    }
    res.writeHead(status, headers);
    res.write(head.subarray(end + sep));
  });
  child.stdout.on('end', () => {
    if (!headerDone) {
      log('http-backend ended without a header');
      res.writeHead(502);
    }
    res.end();
  });
}

async function handle(req, res) {
  counters.requests++;
  const url = new URL(req.url, 'http://127.0.0.1');
  const cred = credentials(req);
  if (!cred) {
    counters.unauthenticated++;
    req.resume();
    challenge(res);
    return;
  }
  remember(usernames, cred.username);
  const id = hash(cred.password);
  let ok = !refusedForever.has(id) && (!opts.username || cred.username === opts.username);
  if (ok) ok = await providerAccepts(cred.password);
  if (ok && refuseNext > 0) {
    refuseNext--;
    refusedForever.add(id);
    ok = false;
  }
  if (!ok) {
    counters.refused++;
    remember(refusedTokens, id);
    req.resume();
    challenge(res);
    return;
  }
  counters.accepted++;
  remember(acceptedTokens, id);
  runBackend(req, res, url, cred.username);
}

function command(line) {
  const [name, arg] = line.trim().split(/\s+/);
  switch (name) {
    case 'refuse': {
      const n = Number.parseInt(arg, 10);
      if (!Number.isInteger(n) || n < 0) return { ok: false, error: 'refuse needs a count' };
      refuseNext = n;
      return { ok: true, refuse: n };
    }
    case 'stats':
      return {
        ok: true,
        ...counters,
        accepted_tokens: acceptedTokens,
        refused_tokens: refusedTokens,
        usernames,
      };
    default:
      return { ok: false, error: `unknown command ${JSON.stringify(name ?? '')}` };
  }
}

async function main() {
  const discovery = `${opts.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const md = await (await fetch(discovery)).json();
  if (typeof md.userinfo_endpoint !== 'string') throw new Error('the provider has no userinfo_endpoint');
  userinfoEndpoint = md.userinfo_endpoint;

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e) => {
      log(`request failed: ${e.message}`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  out({ port: server.address().port });

  const stop = () => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  };
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, stop);
  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    if (line.trim()) out(command(line));
  });
  rl.on('close', stop);
}

main().catch((e) => {
  log(e.message);
  process.exit(1);
});
