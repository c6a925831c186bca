#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// hostile-redirect: plays a local attacker instead of a browser. Given the authorization URL (as a browser
// is, and as any local user can read it from the browser's argv), it sends the app's loopback listener a
// redirect of its own first: the right state, an error, and an error_description (and, if asked, an iss)
// full of terminal escape sequences (OSC 0 retitles, CSI 2J clears, OSC 8 fakes a link, OSC 52 writes the
// clipboard). Used as $BROWSER:
//   BROWSER="node tests/support/browser/hostile-redirect.js"  ->  node hostile-redirect.js URL
// Environment: NATIVEAUTH_TEST_HOSTILE_ISS  the iss to send (default: none)
// Exit code 0 once the listener answered; diagnostics on stderr.
import * as http from 'node:http';

const HOSTILE =
  '\x1b]0;TITLE\x07\x1b[2J\x1b]8;;https://evil.example\x07click\x1b]8;;\x07\x1b]52;c;cGF5bG9hZA==\x07\u202Eevil';

const url = new URL(process.argv[process.argv.length - 1]);
const redirect = url.searchParams.get('redirect_uri');
const state = url.searchParams.get('state');
if (!redirect || !state) {
  process.stderr.write('hostile-redirect: the URL has no redirect_uri or state\n');
  process.exit(2);
}
const target = new URL(redirect);
target.searchParams.set('state', state);
if (process.env.NATIVEAUTH_TEST_HOSTILE_ISS) target.searchParams.set('iss', process.env.NATIVEAUTH_TEST_HOSTILE_ISS);
target.searchParams.set('error', 'invalid_request');
target.searchParams.set('error_description', HOSTILE);
http
  .get(target, (res) => {
    res.resume();
    res.on('end', () => process.exit(0));
  })
  .on('error', (err) => {
    process.stderr.write(`hostile-redirect: ${err.message}\n`);
    process.exit(1);
  });
