#!/usr/bin/env node
// Headless "system browser" for nativeauth's tests and demo.
//
//   BROWSER="node /abs/path/tests/support/browser/browser.js"  ->  node browser.js [ignored...] URL
//
// Opens URL (the last argument) in Debian's Chromium through playwright-core, plays the user on
// oidc-provider's development pages (login, consent, logout, device confirmation) according to
// NATIVEAUTH_TEST_BROWSER_ACTION, and stops once the browser has been sent to the application
// (the first main-frame navigation leaving the provider's origin, or a custom-scheme URL).
// Never writes to stdout. See ../README.md for the environment variables and the result file.

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const startedAt = Date.now();
const env = process.env;

// ---------------------------------------------------------------------------------------------
// Diagnostics: only to NATIVEAUTH_TEST_BROWSER_LOG (and stderr). Never stdout.

const logFile = env.NATIVEAUTH_TEST_BROWSER_LOG || '';
const SENSITIVE = ['code', 'state', 'nonce', 'code_challenge', 'code_verifier', 'id_token_hint',
  'id_token', 'access_token', 'refresh_token', 'user_code', 'login_hint'];

function mask(value) {
  try {
    const url = new URL(value);
    let changed = false;
    for (const key of SENSITIVE) {
      if (url.searchParams.has(key)) {
        url.searchParams.set(key, '***');
        changed = true;
      }
    }
    return changed ? url.href : value;
  } catch {
    return value;
  }
}

// Also masks URLs embedded in free text (e.g. Playwright error messages).
const SENSITIVE_IN_TEXT = new RegExp(`([?&](?:${SENSITIVE.join('|')})=)[^&#\\s"']+`, 'g');

function log(message) {
  const text = String(message).replace(SENSITIVE_IN_TEXT, '$1***');
  const line = `${new Date().toISOString()} browser[${process.pid}] +${Date.now() - startedAt}ms ${text}\n`;
  if (logFile) {
    try {
      fs.appendFileSync(logFile, line);
    } catch {
      // diagnostics must never break the run
    }
  }
  try {
    process.stderr.write(line);
  } catch {
    // stderr may be closed
  }
}

const toLog = (...args) => log(args.map(String).join(' '));
console.log = toLog;
console.info = toLog;
console.debug = toLog;
console.warn = toLog;
console.error = toLog;

// ---------------------------------------------------------------------------------------------
// Configuration.

const ACTIONS = new Set(['login', 'decline', 'logout', 'open']);
const action = (env.NATIVEAUTH_TEST_BROWSER_ACTION || 'login').trim().toLowerCase();
const loginEnv = env.NATIVEAUTH_TEST_BROWSER_LOGIN || '';
const resultFile = env.NATIVEAUTH_TEST_BROWSER_RESULT || '';
const timeoutSeconds = Number(env.NATIVEAUTH_TEST_BROWSER_TIMEOUT || '60');
const schemeHandler = (env.NATIVEAUTH_TEST_BROWSER_SCHEME_HANDLER || '').split(' ').filter(Boolean);
const executablePath = env.NATIVEAUTH_TEST_BROWSER_EXECUTABLE || '/usr/bin/chromium';
const userCode = env.NATIVEAUTH_TEST_BROWSER_USER_CODE || '';

const result = {
  ok: false,
  action,
  final_url: null,
  status: null,
  title: null,
  text: null,
  error: null,
  custom_scheme: false,
  redirect_url: null, // the first URL outside the provider's origin (the app's redirect)
  pages: [], // provider pages seen, in order: login, consent, logout, device_confirm, ...
  elapsed_ms: null,
};

// ---------------------------------------------------------------------------------------------
// Browser state and cleanup.

let context = null;
let profileDir = null;
let tempProfile = false;
let finishing = null;

function sleep(ms) {
  return new Promise((resolve) => { setTimeout(resolve, ms); });
}

function withTimeout(promise, ms, fallback) {
  return Promise.race([promise.catch(() => fallback), sleep(ms).then(() => fallback)]);
}

function ownPgid() {
  try {
    return Number(fs.readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /s, '').split(' ')[2]);
  } catch {
    return process.pid;
  }
}

// Kills every process whose command line names our profile directory (Chromium and its helpers),
// by process group when that group is not ours.
function killChromium() {
  if (!profileDir) return 0;
  const marker = `--user-data-dir=${profileDir}`;
  const mine = ownPgid();
  const groups = new Set();
  const pids = [];
  let entries = [];
  try {
    entries = fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return 0;
  }
  for (const pid of entries) {
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (!cmdline.includes(marker)) continue;
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.replace(/^.*\) /s, '').split(' ');
      const pgid = Number(fields[2]);
      pids.push(Number(pid));
      if (pgid && pgid !== mine) groups.add(pgid);
    } catch {
      // process vanished
    }
  }
  for (const pgid of groups) {
    try { process.kill(-pgid, 'SIGKILL'); } catch { /* gone */ }
  }
  for (const pid of pids) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
  if (pids.length) log(`killed ${pids.length} leftover chromium process(es)`);
  return pids.length;
}

async function closeBrowser() {
  if (context) {
    const ctx = context;
    context = null;
    const closed = await withTimeout(ctx.close().then(() => true), 5000, false);
    if (!closed) log('context.close() did not finish in 5 s');
  }
  if (killChromium()) await sleep(200);
  if (tempProfile && profileDir) {
    for (let i = 0; i < 5; i += 1) {
      try {
        fs.rmSync(profileDir, { recursive: true, force: true });
        break;
      } catch {
        await sleep(100);
      }
    }
  }
}

function writeResult() {
  if (!resultFile) return;
  const tmp = `${resultFile}.tmp-${process.pid}`;
  try {
    fs.writeFileSync(tmp, `${JSON.stringify(result, null, 2)}\n`);
    fs.renameSync(tmp, resultFile);
  } catch (err) {
    log(`cannot write result file ${resultFile}: ${err.message}`);
    try { fs.rmSync(tmp, { force: true }); } catch { /* ignore */ }
  }
}

// Ends the run exactly once: closes Chromium, then writes the result file, then exits.
// (A result file on disk therefore means Chromium is gone.)
function finish(ok, error) {
  if (finishing) return finishing;
  finishing = (async () => {
    result.ok = ok;
    if (error) result.error = String(error);
    result.elapsed_ms = Date.now() - startedAt;
    log(`finish ok=${ok}${error ? ` error=${error}` : ''} final_url=${mask(result.final_url || '')} elapsed=${result.elapsed_ms}ms`);
    await closeBrowser();
    writeResult();
    process.exit(ok ? 0 : 1);
  })();
  return finishing;
}

for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
  process.on(signal, () => { finish(false, `terminated by ${signal}`); });
}
process.on('uncaughtException', (err) => { finish(false, `uncaught: ${err.stack || err}`); });
process.on('unhandledRejection', (err) => { finish(false, `unhandled rejection: ${err?.stack || err}`); });
// Last resort if exit happens some other way.
process.on('exit', () => { killChromium(); });

if (!(timeoutSeconds > 0)) {
  log(`invalid NATIVEAUTH_TEST_BROWSER_TIMEOUT ${env.NATIVEAUTH_TEST_BROWSER_TIMEOUT}`);
}
const overall = setTimeout(() => {
  finish(false, `timeout after ${timeoutSeconds} s`);
}, (timeoutSeconds > 0 ? timeoutSeconds : 60) * 1000);
overall.unref();

// ---------------------------------------------------------------------------------------------
// Helpers.

function isHttp(url) {
  return /^https?:/i.test(url);
}

function originOf(url) {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

function isInternal(url) {
  return /^(about|data|blob|chrome|chrome-error|devtools):/i.test(url);
}

function runSchemeHandler(url) {
  return new Promise((resolve) => {
    let out = 'ignore';
    if (logFile) {
      try { out = fs.openSync(logFile, 'a'); } catch { out = 'ignore'; }
    }
    log(`scheme handler: ${schemeHandler.join(' ')} ${mask(url)}`);
    const child = spawn(schemeHandler[0], [...schemeHandler.slice(1), url], { stdio: ['ignore', out, out] });
    child.on('error', (err) => resolve({ code: null, error: err.message }));
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
}

// ---------------------------------------------------------------------------------------------
// Main.

async function main() {
  if (process.argv.length < 3) throw new Error('usage: browser.js URL');
  if (!ACTIONS.has(action)) throw new Error(`unknown NATIVEAUTH_TEST_BROWSER_ACTION ${action}`);

  let startUrl = process.argv[process.argv.length - 1];
  const rewrite = env.NATIVEAUTH_TEST_BROWSER_REWRITE || '';
  if (rewrite) {
    const sep = rewrite.indexOf('=>');
    if (sep === -1) throw new Error('NATIVEAUTH_TEST_BROWSER_REWRITE must be FROM=>TO');
    const from = rewrite.slice(0, sep).trim();
    const to = rewrite.slice(sep + 2).trim();
    if (startUrl.startsWith(from)) {
      startUrl = to + startUrl.slice(from.length);
      log(`rewrote ${from} => ${to}`);
    } else {
      log(`rewrite prefix ${from} does not match the URL; not rewritten`);
    }
  }
  const providerOrigin = originOf(startUrl);
  if (!providerOrigin || !isHttp(startUrl)) throw new Error(`not an http(s) URL: ${mask(startUrl)}`);
  const startHost = new URL(startUrl).hostname;

  log(`action=${action} url=${mask(startUrl)}`);

  if (env.NATIVEAUTH_TEST_BROWSER_PROFILE) {
    profileDir = path.resolve(env.NATIVEAUTH_TEST_BROWSER_PROFILE);
    fs.mkdirSync(profileDir, { recursive: true });
  } else {
    profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nativeauth-browser-'));
    tempProfile = true;
  }

  // Nothing leaves loopback: the provider's pages import web fonts, which would wait on DNS.
  // Every host name and IP literal except the loopback ones resolves to "not found" at once.
  // (Playwright's request interception, context.route(), is not used: with it enabled Chromium
  // no longer reports a redirect to a custom scheme such as com.example.app:/callback.)
  // (IPv6 literals are written without brackets in these rules.)
  const allowedHosts = new Set(['localhost', '127.0.0.1', '::1', startHost.replace(/^\[(.*)\]$/, '$1')]);
  const resolverRules = ['MAP * ~NOTFOUND', ...[...allowedHosts].map((h) => `EXCLUDE ${h}`)].join(' , ');

  const { chromium } = await import('playwright-core');
  const launchStart = Date.now();
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath,
    headless: true,
    timeout: 30000,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-default-apps',
      '--disable-extensions',
      '--no-default-browser-check',
      '--no-proxy-server',
      `--host-resolver-rules=${resolverRules}`,
    ],
  });
  if (finishing) return;
  log(`chromium started in ${Date.now() - launchStart} ms (profile ${tempProfile ? 'temporary' : profileDir})`);

  const page = context.pages()[0] || await context.newPage();
  for (const extra of context.pages()) if (extra !== page) extra.close().catch(() => {});

  // Navigation tracking (main frame).
  let customUrl = null;
  let resolveCustom;
  const customScheme = new Promise((resolve) => { resolveCustom = resolve; });
  let lastNavUrl = null;
  let lastNavResponse = null; // { url, status }
  let lastNavFailure = null; // { url, error }
  let appResponded = false;

  const isMainNav = (request) => {
    try {
      return request.isNavigationRequest() && request.frame() === page.mainFrame();
    } catch {
      return false;
    }
  };

  page.on('request', (request) => {
    if (!isMainNav(request)) return;
    const url = request.url();
    log(`navigate ${request.method()} ${mask(url)}`);
    lastNavUrl = url;
    lastNavFailure = null;
    if (!result.redirect_url && !isInternal(url) && originOf(url) !== providerOrigin) {
      result.redirect_url = url;
    }
    if (!isHttp(url) && !isInternal(url) && !customUrl) {
      customUrl = url;
      resolveCustom(url);
    }
  });
  page.on('response', (response) => {
    const request = response.request();
    if (!isMainNav(request)) return;
    lastNavResponse = { url: response.url(), status: response.status() };
    if (originOf(response.url()) !== providerOrigin) appResponded = true;
    log(`response ${response.status()} ${mask(response.url())}`);
  });
  page.on('requestfailed', (request) => {
    if (!isMainNav(request)) {
      log(`subresource failed ${mask(request.url())}: ${request.failure()?.errorText}`);
      return;
    }
    lastNavFailure = { url: request.url(), error: request.failure()?.errorText };
    log(`navigation failed ${mask(request.url())}: ${lastNavFailure.error}`);
  });
  page.on('load', () => { page.title().then((t) => log(`loaded "${t}" ${mask(page.url())}`), () => {}); });
  page.on('pageerror', (err) => log(`page error: ${err.message}`));

  // Runs a step that causes a navigation; resolves once the new document has loaded, a
  // custom-scheme URL has been requested, or the navigation failed.
  async function navigate(step) {
    const navTimeout = 30000;
    const done = step().then((response) => ({ response }), (error) => ({ error }));
    const outcome = await Promise.race([done, customScheme.then(() => ({ custom: true }))]);
    if (outcome.custom) {
      // Give the aborted tab a moment; never wait on it for long.
      await withTimeout(done, 500, null);
      return outcome;
    }
    if (outcome.error && customUrl) return { custom: true };
    if (outcome.error) {
      log(`navigation step error: ${String(outcome.error.message || outcome.error).split('\n')[0]}`);
      // Let a pending load settle (e.g. failure page) before inspecting.
      await withTimeout(page.waitForLoadState('load', { timeout: navTimeout }), 2000, null);
    }
    return outcome;
  }

  function clickAndWait(locator) {
    return navigate(async () => {
      const [response] = await Promise.all([
        page.waitForNavigation({ waitUntil: 'load', timeout: 30000 }),
        locator.click({ timeout: 10000 }),
      ]);
      return response;
    });
  }

  async function classify() {
    return page.evaluate(() => {
      const q = (s) => document.querySelector(s);
      const title = document.title || '';
      if (q('input[name=login]')) return 'login';
      if (q('input[name=prompt][value=consent]')) return 'consent';
      if (document.getElementById('op.logoutForm')) return 'logout';
      if (document.getElementById('op.deviceConfirmForm')) return 'device_confirm';
      if (document.getElementById('op.deviceInputForm')) return 'device_input';
      if (title === 'Sign-in Success') return 'device_success';
      if (title === 'Sign-out Success') return 'logout_success';
      if (title.startsWith('oops!')) return 'error';
      return 'unknown';
    });
  }

  async function capturePage(response) {
    result.final_url = page.url();
    if (!isHttp(result.final_url) && lastNavUrl) result.final_url = lastNavUrl;
    result.status = response?.status?.() ?? lastNavResponse?.status ?? null;
    result.title = await withTimeout(page.title(), 2000, null);
    const text = await withTimeout(page.evaluate(() => document.body?.innerText || ''), 2000, null);
    result.text = typeof text === 'string' ? text.slice(0, 2000) : null;
  }

  async function finishCustom() {
    result.custom_scheme = true;
    result.final_url = customUrl;
    result.redirect_url = result.redirect_url || customUrl;
    log(`custom scheme redirect ${mask(customUrl)}`);
    if (schemeHandler.length) {
      const { code, signal, error } = await runSchemeHandler(customUrl);
      result.scheme_handler_exit = code;
      if (error || code !== 0) {
        return finish(false, `scheme handler failed: ${error || (signal ? `signal ${signal}` : `exit ${code}`)}`);
      }
    }
    return finish(true);
  }

  // The page left the provider: let it load (done by navigate) and report it.
  async function finishApp(response) {
    await capturePage(response);
    if (lastNavFailure && (!isHttp(page.url()) || page.url() === lastNavFailure.url)) {
      // The app's response redirected somewhere we block, or the app did not answer.
      result.final_url = lastNavFailure.url;
      if (appResponded) {
        result.blocked = lastNavFailure.error;
        return finish(true);
      }
      return finish(false, `navigation to ${mask(lastNavFailure.url)} failed: ${lastNavFailure.error}`);
    }
    return finish(true);
  }

  // ---- action: open
  if (action === 'open') {
    const outcome = await navigate(() => page.goto(startUrl, { waitUntil: 'load', timeout: 30000 }));
    if (outcome.custom) return finishCustom();
    await capturePage(outcome.response);
    if (outcome.error && !page.url().startsWith('http')) {
      return finish(false, `navigation failed: ${lastNavFailure?.error || outcome.error.message}`);
    }
    return finish(true);
  }

  // ---- actions: login, decline, logout
  let outcome = await navigate(() => page.goto(startUrl, { waitUntil: 'load', timeout: 30000 }));
  for (let step = 0; step < 20; step += 1) {
    if (finishing) return undefined;
    if (outcome.custom || customUrl) return finishCustom();

    if (outcome.error) {
      // The navigation failed (app listener unreachable, blocked host, ...). Let Chromium's error
      // page commit so that page.url() and the text describe the failure, then report.
      await withTimeout(page.waitForURL((u) => !isHttp(u.href) || u.href === lastNavFailure?.url, { timeout: 2000 }), 2000, null);
      if (customUrl) return finishCustom();
      const failed = lastNavFailure?.url || lastNavUrl;
      if (failed && originOf(failed) !== providerOrigin) return finishApp(outcome.response);
      await capturePage(outcome.response);
      result.final_url = failed || result.final_url;
      return finish(false, `navigation to ${mask(failed || '')} failed: ${lastNavFailure?.error || String(outcome.error.message || outcome.error).split('\n')[0]}`);
    }
    const current = page.url();
    if (originOf(current) !== providerOrigin) return finishApp(outcome.response);

    const kind = await classify();
    result.pages.push(kind);
    log(`provider page: ${kind} ("${await withTimeout(page.title(), 2000, '')}")`);

    switch (kind) {
      case 'login': {
        if (action === 'decline') {
          outcome = await clickAndWait(page.locator('a', { hasText: '[ Cancel ]' }).first());
          break;
        }
        if (action !== 'login') {
          await capturePage(outcome.response);
          return finish(false, `unexpected login page for action ${action}`);
        }
        const field = page.locator('input[name=login]');
        const prefilled = await field.inputValue().catch(() => '');
        const login = loginEnv || prefilled || 'alice';
        await field.fill(login);
        await page.locator('input[name=password]').fill('password');
        outcome = await clickAndWait(page.locator('form:has(input[name=login]) button[type=submit]').first());
        break;
      }
      case 'consent': {
        if (action === 'decline') {
          outcome = await clickAndWait(page.locator('a', { hasText: '[ Cancel ]' }).first());
          break;
        }
        if (action !== 'login') {
          await capturePage(outcome.response);
          return finish(false, `unexpected consent page for action ${action}`);
        }
        outcome = await clickAndWait(page.locator('button[autofocus]').first());
        break;
      }
      case 'device_input': {
        if (action === 'decline' && result.pages.includes('device_confirm')) {
          // Shown again after "[ Abort ]" ("The Sign-in request was interrupted"): done.
          await capturePage(outcome.response);
          return finish(true);
        }
        if (!userCode) {
          await capturePage(outcome.response);
          return finish(false, 'device user code page: set NATIVEAUTH_TEST_BROWSER_USER_CODE or open verification_uri_complete');
        }
        await page.locator('input[name=user_code]').fill(userCode);
        outcome = await clickAndWait(page.locator('button[form="op.deviceInputForm"]').first());
        break;
      }
      case 'device_confirm': {
        if (action === 'decline') {
          outcome = await clickAndWait(page.locator('button[name=abort]').first());
          break;
        }
        if (action !== 'login') {
          await capturePage(outcome.response);
          return finish(false, `unexpected device confirmation page for action ${action}`);
        }
        outcome = await clickAndWait(page.locator('button[autofocus]').first());
        break;
      }
      case 'logout': {
        if (action === 'logout') {
          outcome = await clickAndWait(page.locator('button[autofocus][name=logout]').first());
        } else if (action === 'decline') {
          // "No, stay signed in"
          outcome = await clickAndWait(page.locator('button[form="op.logoutForm"]:not([name=logout])').first());
        } else {
          await capturePage(outcome.response);
          return finish(false, `unexpected logout page for action ${action}`);
        }
        break;
      }
      case 'device_success':
      case 'logout_success': {
        // Terminal pages on the provider itself (device flow done; logout without redirect).
        await capturePage(outcome.response);
        const expected = kind === 'logout_success' ? action === 'logout' || action === 'decline' : action !== 'logout';
        return finish(expected, expected ? undefined : `unexpected ${kind} page for action ${action}`);
      }
      case 'error': {
        await capturePage(outcome.response);
        return finish(false, `provider error page: ${(result.text || '').replace(/\s+/g, ' ').trim()}`);
      }
      default: {
        await capturePage(outcome.response);
        return finish(false, `unrecognised provider page "${result.title}" at ${mask(result.final_url)}`);
      }
    }
  }
  await capturePage(outcome.response);
  return finish(false, 'too many provider pages');
}

main().catch((err) => finish(false, err?.stack ? err.stack.split('\n').slice(0, 3).join(' | ') : String(err)));
