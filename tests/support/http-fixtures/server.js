#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// http-fixtures: small HTTP and HTTPS servers on loopback that answer in ways a provider does not on demand
// (an echo of the request, a redirect, a stall, a cut-off or oversized body), for the HTTP transports' tests
// (tests/windows/winhttp_transport_test.cpp). Node built-ins only.
//
//   node server.js --tls-key KEY.pem --tls-cert CERT.pem [--ignore-stdin]
//
// stdout, one line once both listen:
//   {"http":"http://127.0.0.1:P","https":"https://127.0.0.1:Q","closed_port":R}
// R is a port this process bound and closed again: nothing listens there (connections are refused).
// Both servers answer the same paths:
//   /echo                 200 application/json: {"method","path","headers":[[name,value]...] (as received, in
//                         order),"body_base64","connection":N,"request_on_connection":K}; N counts the TCP
//                         connections the server accepted, K the requests on this one (1 = a fresh connection)
//   /status/NNN           status NNN, a small JSON body
//   /headers              200 with Content-Type "application/json; charset=utf-8" and Cache-Control
//                         "public, max-age=300"
//   /redirect             302 to /echo?redirected=1, body "moved"
//   /dpop-challenge       401 as a DPoP resource server asks for a nonce (RFC 9449 §9): two WWW-Authenticate
//                         headers, 'Bearer realm="api"' then 'DPoP error="use_dpop_nonce", algs="ES256"', and
//                         DPoP-Nonce "eyJ7S_zG.eyJH0-Z.HX4w-7v"
//   /bytes/N              200, N bytes of 'x' with Content-Length
//   /chunked/N            200, N bytes of 'x' chunked (no Content-Length)
//   /stall                reads the request, never answers
//   /stall-body           headers announcing 100 bytes, 10 bytes of body, then nothing
//   /truncate             headers announcing 100 bytes, 10 bytes of body, then the connection is destroyed
// Diagnostics go to stderr. Exits (code 0) on stdin EOF (unless --ignore-stdin), SIGTERM and SIGINT,
// destroying every connection (stalled ones included).

import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';

function fail(message) {
  process.stderr.write(`http-fixtures: ${message}\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
const opts = { tlsKey: '', tlsCert: '', ignoreStdin: false };
for (let i = 0; i < args.length; ++i) {
  if (args[i] === '--tls-key') opts.tlsKey = args[++i] ?? '';
  else if (args[i] === '--tls-cert') opts.tlsCert = args[++i] ?? '';
  else if (args[i] === '--ignore-stdin') opts.ignoreStdin = true;
  else fail(`unknown argument ${args[i]}`);
}
if (!opts.tlsKey || !opts.tlsCert) fail('--tls-key and --tls-cert are required');

let connections = 0;
const sockets = new Set();

function track(socket) {
  socket.connectionId = ++connections;
  socket.requests = 0;
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
}

function json(res, status, value, extra = {}) {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': body.length, ...extra });
  res.end(body);
}

function pairs(raw) {
  const out = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i], raw[i + 1]]);
  return out;
}

function handle(req, res) {
  const socket = req.socket;
  socket.requests += 1;
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => answer(req, res, Buffer.concat(chunks), socket));
}

function answer(req, res, body, socket) {
  const path = req.url.split('?')[0];
  let m;
  if (path === '/echo') {
    json(res, 200, {
      method: req.method, path: req.url, headers: pairs(req.rawHeaders), body_base64: body.toString('base64'),
      connection: socket.connectionId, request_on_connection: socket.requests,
    });
  } else if ((m = /^\/status\/(\d{3})$/.exec(path))) {
    json(res, Number(m[1]), { status: Number(m[1]) });
  } else if (path === '/headers') {
    json(res, 200, { ok: true }, {
      'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'public, max-age=300' });
  } else if (path === '/dpop-challenge') {
    json(res, 401, { error: 'use_dpop_nonce' }, {
      'WWW-Authenticate': ['Bearer realm="api"', 'DPoP error="use_dpop_nonce", algs="ES256"'],
      'DPoP-Nonce': 'eyJ7S_zG.eyJH0-Z.HX4w-7v' });
  } else if (path === '/redirect') {
    res.writeHead(302, { Location: '/echo?redirected=1', 'Content-Type': 'text/plain', 'Content-Length': 5 });
    res.end('moved');
  } else if ((m = /^\/(bytes|chunked)\/(\d+)$/.exec(path))) {
    const n = Number(m[2]);
    const headers = { 'Content-Type': 'application/octet-stream' };
    if (m[1] === 'bytes') headers['Content-Length'] = n;
    res.writeHead(200, headers);
    res.end(Buffer.alloc(n, 'x'));
  } else if (path === '/stall') {
    // Never answered: the connection stays open until the client gives up or the server exits.
  } else if (path === '/stall-body' || path === '/truncate') {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': 100 });
    res.write(Buffer.alloc(10, 'y'), () => {
      if (path === '/truncate') socket.destroy();
    });
  } else {
    json(res, 404, { error: 'not_found' });
  }
}

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server.address().port));
  });
}

let tls;
try {
  tls = { key: fs.readFileSync(opts.tlsKey), cert: fs.readFileSync(opts.tlsCert) };
} catch (e) {
  fail(`cannot read the TLS key or certificate: ${e.message}`);
}
const plain = http.createServer({ keepAliveTimeout: 60_000 }, handle);
const secure = https.createServer({ ...tls, keepAliveTimeout: 60_000 }, handle);
plain.on('connection', track);
secure.on('secureConnection', track);
secure.on('connection', (s) => sockets.add(s));
secure.on('tlsClientError', (e) => process.stderr.write(`http-fixtures: TLS client error: ${e.message}\n`));

function stop() {
  for (const s of sockets) s.destroy();
  plain.close();
  secure.close();
  process.exit(0);
}

const closed = net.createServer();
const [httpPort, httpsPort, closedPort] = await Promise.all([listen(plain), listen(secure), listen(closed)]);
await new Promise((resolve) => closed.close(resolve));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
if (!opts.ignoreStdin) {
  process.stdin.on('end', stop);
  process.stdin.resume();
}
process.stdout.write(`${JSON.stringify({
  http: `http://127.0.0.1:${httpPort}`, https: `https://127.0.0.1:${httpsPort}`, closed_port: closedPort })}\n`);
