#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// fault-proxy: an HTTP/1.1-aware TCP proxy on loopback that loses or holds back refresh-token responses
// on command, for tests of what no real part produces on demand (a response lost after the provider
// handled the request; a refresh that is still in flight while something else happens).
//
// Protocol (see ../README.md):
//   stdout, first line:  {"port":P}                      listening on 127.0.0.1:P
//   stdin, one command a line, each answered with one stdout line {"ok":true,...} or {"ok":false,"error":...}:
//     target <port>       forward every connection to 127.0.0.1:<port>
//     drop-refresh <n>    the next n refresh requests: forward them, read the provider's complete
//                         response, then destroy the client's connection without sending it a byte
//     hold-refresh        hold the next refresh response back (complete, read from the provider) until `release`
//     bare-refresh <st>   answer the next refresh request itself with HTTP <st> and an empty body (what a
//                         provider that ignores RFC 6749 §5.2 sends), and close that connection
//     drop-path <s> <n>   the next n requests whose path contains <s>: forward them, then destroy the
//                         client's connection at once (a fetch that never gets its answer)
//     release             send every held response and stop holding
//     stats               counters: {"ok":true,"refresh_requests":N,"dropped":N,"held":N,"connections":N}
//   stdout, events:       {"event":"refresh-request"}  a complete request whose body has grant_type=refresh_token
//                         {"event":"refresh-dropped"}  its response was read and the client connection destroyed
//                         {"event":"refresh-held"}     its response was read and is being held
//                         {"event":"refresh-bare"}     it was answered with a bare status by the proxy
//                         {"event":"path-dropped"}     a drop-path request's connection was destroyed
// A refresh request is a request whose body contains `grant_type=refresh_token`. Requests are parsed
// with Content-Length (chunked request bodies are not supported: such a connection is passed through
// unparsed); responses with Content-Length, chunked, or close-delimited bodies. Everything passes
// through byte for byte; only the chosen responses are held or never delivered.
// Exits (code 0) when stdin reaches EOF.

import * as net from 'node:net';
import * as readline from 'node:readline';

function out(obj) {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}
function log(message) {
  process.stderr.write(`fault-proxy: ${message}\n`);
}

const REFRESH_MARK = 'grant_type=refresh_token';
const MAX_INSPECTED_BODY = 1024 * 1024;
const MAX_HEAD = 64 * 1024;

let targetPort = 0;
let dropsLeft = 0;
let holdNext = false;
let bareStatus = 0;
let pathMark = '';
let pathDropsLeft = 0;
const stats = { refresh_requests: 0, dropped: 0, held: 0, connections: 0 };
const held = new Set(); // Connections whose output is gated by a held response

function parseHead(text) {
  const lines = text.split('\r\n');
  const start = lines.shift();
  const headers = new Map();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
  }
  return { start, headers };
}

function isChunked(headers) {
  const te = headers.get('transfer-encoding');
  return te !== undefined && /(^|,)\s*chunked\s*$/i.test(te);
}

class Connection {
  constructor(client) {
    this.client = client;
    this.upstream = net.connect({ host: '127.0.0.1', port: targetPort });
    this.requests = []; // requests whose responses have not completed, oldest first
    // Request parsing.
    this.reqBuf = Buffer.alloc(0);
    this.reqState = 'head';
    this.reqLeft = 0;
    this.reqCur = null;
    this.rawRequests = false;
    // Response parsing.
    this.resBuf = Buffer.alloc(0);
    this.resState = 'head';
    this.resLeft = 0;
    this.resCur = null; // { meta, action, chunks }
    this.rawResponses = false;
    // Output gate: while a response is held, everything later for this client waits behind it.
    this.gate = null; // array of Buffers while held, else null
    this.upstreamEnded = false;
    this.dead = false;

    client.on('data', (d) => this.onClientData(d));
    client.on('end', () => this.upstream.end());
    client.on('error', () => this.kill());
    client.on('close', () => this.kill());
    this.upstream.on('data', (d) => this.onUpstreamData(d));
    this.upstream.on('end', () => this.onUpstreamEnd());
    this.upstream.on('error', (err) => {
      log(`upstream: ${err.message}`);
      this.kill();
    });
    this.upstream.on('close', () => {
      if (!this.upstreamEnded) this.onUpstreamEnd();
    });
  }

  /// Sends `text` as the whole answer and closes the connection; the provider's answer is never read.
  answerAndClose(text) {
    if (this.dead) return;
    this.dead = true;
    held.delete(this);
    this.upstream.destroy();
    this.client.end(Buffer.from(text, 'latin1'));
  }

  kill() {
    if (this.dead) return;
    this.dead = true;
    held.delete(this);
    this.client.destroy();
    this.upstream.destroy();
  }

  // ---- requests (client -> provider): forwarded at once, parsed on the side ----

  onClientData(data) {
    if (this.dead) return;
    this.upstream.write(data);
    if (this.rawRequests) return;
    this.reqBuf = Buffer.concat([this.reqBuf, data]);
    for (;;) {
      if (this.reqState === 'head') {
        const end = this.reqBuf.indexOf('\r\n\r\n');
        if (end === -1) {
          if (this.reqBuf.length > MAX_HEAD) this.goRawRequests('request head too large');
          return;
        }
        const { start, headers } = parseHead(this.reqBuf.subarray(0, end).toString('latin1'));
        this.reqBuf = this.reqBuf.subarray(end + 4);
        const [method = '', path = ''] = start.split(' ');
        if (pathDropsLeft > 0 && pathMark && path.includes(pathMark)) {
          pathDropsLeft -= 1;
          out({ event: 'path-dropped' });
          this.kill();
          return;
        }
        const meta = { method, refresh: false, complete: false, action: 'pass' };
        this.requests.push(meta);
        if (isChunked(headers)) {
          this.goRawRequests('chunked request body');
          return;
        }
        const cl = headers.has('content-length') ? Number(headers.get('content-length')) : 0;
        if (!Number.isSafeInteger(cl) || cl < 0) {
          this.goRawRequests('bad content-length');
          return;
        }
        this.reqCur = { meta, body: [], inspected: 0 };
        this.reqLeft = cl;
        this.reqState = 'body';
      }
      if (this.reqState === 'body') {
        const n = Math.min(this.reqLeft, this.reqBuf.length);
        if (n > 0) {
          if (this.reqCur.inspected < MAX_INSPECTED_BODY) {
            this.reqCur.body.push(this.reqBuf.subarray(0, n));
            this.reqCur.inspected += n;
          }
          this.reqBuf = this.reqBuf.subarray(n);
          this.reqLeft -= n;
        }
        if (this.reqLeft > 0) return;
        this.requestComplete(this.reqCur);
        this.reqCur = null;
        this.reqState = 'head';
        if (this.reqBuf.length === 0) return;
      }
    }
  }

  goRawRequests(why) {
    log(`passing the rest of a connection through unparsed (${why})`);
    this.rawRequests = true;
    this.reqBuf = Buffer.alloc(0);
  }

  requestComplete(cur) {
    const { meta } = cur;
    meta.complete = true;
    meta.refresh = Buffer.concat(cur.body).toString('latin1').includes(REFRESH_MARK);
    if (!meta.refresh) return;
    stats.refresh_requests += 1;
    if (bareStatus) {
      const status = bareStatus;
      bareStatus = 0;
      out({ event: 'refresh-request' });
      out({ event: 'refresh-bare' });
      this.answerAndClose(`HTTP/1.1 ${status} Status ${status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      return;
    }
    if (dropsLeft > 0) {
      dropsLeft -= 1;
      meta.action = 'drop';
    } else if (holdNext) {
      holdNext = false;
      meta.action = 'hold';
    }
    out({ event: 'refresh-request' });
  }

  // ---- responses (provider -> client): parsed to find where each one ends ----

  onUpstreamData(data) {
    if (this.dead) return;
    if (this.rawResponses) {
      this.send(data);
      return;
    }
    this.resBuf = Buffer.concat([this.resBuf, data]);
    while (this.resBuf.length > 0 && !this.dead && !this.rawResponses) {
      if (this.resState === 'head') {
        const end = this.resBuf.indexOf('\r\n\r\n');
        if (end === -1) {
          if (this.resBuf.length > MAX_HEAD) this.goRawResponses('response head too large');
          return;
        }
        const headBytes = this.resBuf.subarray(0, end + 4);
        const { start, headers } = parseHead(this.resBuf.subarray(0, end).toString('latin1'));
        this.resBuf = this.resBuf.subarray(end + 4);
        const status = Number((start.split(' ')[1]) || 0);
        const meta = this.requests[0] || { method: '', complete: true, action: 'pass' };
        if (status >= 100 && status < 200 && status !== 101) {
          this.send(headBytes); // interim (100 Continue): always passed on, the final response follows
          continue;
        }
        const action = meta.complete ? meta.action : 'pass';
        this.resCur = { meta, action, chunks: [] };
        this.emitBytes(headBytes);
        if (status === 101) {
          this.responseComplete();
          this.goRawResponses('switching protocols');
          return;
        }
        if (meta.method === 'HEAD' || status === 204 || status === 304) {
          this.responseComplete();
        } else if (isChunked(headers)) {
          this.resState = 'chunk-size';
        } else if (headers.has('content-length')) {
          this.resLeft = Number(headers.get('content-length'));
          if (!Number.isSafeInteger(this.resLeft) || this.resLeft < 0) this.resLeft = 0;
          this.resState = 'body';
          if (this.resLeft === 0) this.responseComplete();
        } else {
          this.resState = 'until-close';
        }
      } else if (this.resState === 'body' || this.resState === 'chunk-data') {
        const n = Math.min(this.resLeft, this.resBuf.length);
        this.emitBytes(this.resBuf.subarray(0, n));
        this.resBuf = this.resBuf.subarray(n);
        this.resLeft -= n;
        if (this.resLeft === 0) {
          if (this.resState === 'body') this.responseComplete();
          else this.resState = 'chunk-size';
        }
      } else if (this.resState === 'chunk-size') {
        const eol = this.resBuf.indexOf('\r\n');
        if (eol === -1) return;
        const size = parseInt(this.resBuf.subarray(0, eol).toString('latin1').split(';')[0].trim(), 16);
        this.emitBytes(this.resBuf.subarray(0, eol + 2));
        this.resBuf = this.resBuf.subarray(eol + 2);
        if (!Number.isFinite(size) || size < 0) {
          this.goRawResponses('bad chunk size');
          return;
        }
        if (size === 0) {
          this.resState = 'trailer';
        } else {
          this.resLeft = size + 2; // data and its CRLF
          this.resState = 'chunk-data';
        }
      } else if (this.resState === 'trailer') {
        const eol = this.resBuf.indexOf('\r\n');
        if (eol === -1) return;
        this.emitBytes(this.resBuf.subarray(0, eol + 2));
        this.resBuf = this.resBuf.subarray(eol + 2);
        if (eol === 0) this.responseComplete();
      } else if (this.resState === 'until-close') {
        this.emitBytes(this.resBuf);
        this.resBuf = Buffer.alloc(0);
      }
    }
  }

  goRawResponses(why) {
    log(`passing the rest of a connection through unparsed (${why})`);
    this.rawResponses = true;
    if (this.resBuf.length) this.send(this.resBuf);
    this.resBuf = Buffer.alloc(0);
  }

  emitBytes(bytes) {
    if (bytes.length === 0) return;
    if (this.resCur && this.resCur.action !== 'pass') {
      this.resCur.chunks.push(Buffer.from(bytes));
    } else {
      this.send(bytes);
    }
  }

  responseComplete() {
    const cur = this.resCur;
    this.resCur = null;
    this.resState = 'head';
    this.requests.shift();
    if (!cur || cur.action === 'pass') return;
    if (cur.action === 'drop') {
      stats.dropped += 1;
      // The provider has answered; the client never hears a byte of it.
      this.kill();
      out({ event: 'refresh-dropped' });
      return;
    }
    // hold
    stats.held += 1;
    const bytes = Buffer.concat(cur.chunks);
    if (cur.meta.released) {
      this.send(bytes);
      return;
    }
    this.gate = this.gate || [];
    this.gate.push(bytes);
    held.add(this);
    out({ event: 'refresh-held' });
  }

  onUpstreamEnd() {
    if (this.upstreamEnded) return;
    this.upstreamEnded = true;
    if (this.dead) return;
    if (this.resCur && this.resState === 'until-close') this.responseComplete();
    if (this.dead) return;
    if (this.gate) {
      this.gate.push(null); // end after release
    } else {
      this.client.end();
    }
  }

  send(bytes) {
    if (this.dead) return;
    if (this.gate) {
      this.gate.push(Buffer.from(bytes));
    } else {
      this.client.write(bytes);
    }
  }

  release() {
    const gate = this.gate;
    this.gate = null;
    held.delete(this);
    if (!gate || this.dead) return;
    for (const bytes of gate) {
      if (bytes === null) this.client.end();
      else this.client.write(bytes);
    }
  }

  /// Requests already marked "hold" whose responses have not come back yet: let them through.
  cancelPendingHolds() {
    for (const meta of this.requests) if (meta.action === 'hold') meta.released = true;
    if (this.resCur && this.resCur.action === 'hold') this.resCur.meta.released = true;
  }
}

const connections = new Set();
const server = net.createServer({ allowHalfOpen: true }, (client) => {
  if (!targetPort) {
    log('a connection arrived before `target`: closed');
    client.destroy();
    return;
  }
  stats.connections += 1;
  const conn = new Connection(client);
  connections.add(conn);
  client.on('close', () => connections.delete(conn));
});
server.on('error', (err) => {
  log(`listen: ${err.message}`);
  process.exit(1);
});

function command(line) {
  const words = line.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return;
  const [name, arg] = words;
  switch (name) {
    case 'target': {
      const port = Number(arg);
      if (!Number.isInteger(port) || port < 1 || port > 65535) {
        out({ ok: false, error: `bad port ${JSON.stringify(arg)}` });
        return;
      }
      targetPort = port;
      out({ ok: true, target: port });
      return;
    }
    case 'drop-refresh': {
      const n = Number(arg);
      if (!Number.isInteger(n) || n < 0) {
        out({ ok: false, error: `bad count ${JSON.stringify(arg)}` });
        return;
      }
      dropsLeft = n;
      out({ ok: true, drop_refresh: n });
      return;
    }
    case 'bare-refresh': {
      const status = Number(arg);
      if (!Number.isInteger(status) || status < 100 || status > 599) {
        out({ ok: false, error: `bad status ${JSON.stringify(arg)}` });
        return;
      }
      bareStatus = status;
      out({ ok: true, bare_refresh: status });
      return;
    }
    case 'drop-path': {
      const n = Number(words[2]);
      if (!arg || !Number.isInteger(n) || n < 0) {
        out({ ok: false, error: 'usage: drop-path <substring> <n>' });
        return;
      }
      pathMark = arg;
      pathDropsLeft = n;
      out({ ok: true, drop_path: arg, count: n });
      return;
    }
    case 'hold-refresh':
      holdNext = true;
      out({ ok: true, hold_refresh: true });
      return;
    case 'release': {
      const count = held.size;
      holdNext = false;
      for (const conn of connections) conn.cancelPendingHolds();
      for (const conn of [...held]) conn.release();
      out({ ok: true, released: count });
      return;
    }
    case 'stats':
      out({ ok: true, ...stats });
      return;
    default:
      out({ ok: false, error: `unknown command ${JSON.stringify(name)}` });
  }
}

server.listen(0, '127.0.0.1', () => {
  out({ port: server.address().port });
  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', command);
  rl.on('close', () => {
    for (const conn of connections) conn.kill();
    server.close();
    process.exit(0);
  });
});
