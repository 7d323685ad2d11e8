// Browser tests of the control panel: the real aether_controller binary
// (sim servos) and Debian's Chromium driven by playwright-core. Every wait
// is on a condition with a deadline; nothing sleeps.
//
// Run: npm test (after ./install.sh and a build of bin/aether_controller).
// AETHER_CONTROLLER overrides the binary, CHROMIUM the browser.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const binary = process.env.AETHER_CONTROLLER || path.join(repo, 'bin/aether_controller');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const artifacts = path.join(repo, 'test/artifacts');
const waitMs = 15000;

// defer runs fn when test t ends, last deferred first (node:test runs
// after-hooks first registered first), so the page closes before the
// controller it talks to stops.
const deferred = new WeakMap();
function defer(t, fn) {
  if (!deferred.has(t)) {
    deferred.set(t, []);
    t.after(async () => {
      const fns = deferred.get(t);
      while (fns.length) await fns.pop()();
    });
  }
  deferred.get(t).push(fn);
}

// freePort asks the kernel for a free port on 127.0.0.1.
async function freePort() {
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address();
  srv.close();
  await once(srv, 'close');
  return port;
}

// withDeadline rejects with what when p has not settled within ms.
function withDeadline(p, ms, what) {
  let timer;
  const t = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms); });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

// startController runs the binary with the panel on and waits for its
// "panel on" line.
async function startController(t, extra = []) {
  assert.ok(fs.existsSync(binary), `${binary} is missing: build it first (make build, or go build -o bin/ ./cmd/aether_controller)`);
  const httpPort = await freePort();
  const tcpPort = await freePort();
  const proc = spawn(binary, ['--backend', 'sim', '--http', `127.0.0.1:${httpPort}`, '--listen', `127.0.0.1:${tcpPort}`, ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (b) => { stderr += b; });
  const exited = once(proc, 'exit');
  defer(t, async () => {
    if (proc.exitCode === null) {
      proc.kill('SIGTERM');
      await withDeadline(exited, waitMs, 'controller exit after SIGTERM');
    }
    assert.equal(proc.exitCode, 0, `controller exit status after SIGTERM; its stderr:\n${stderr}`);
  });
  const lines = readline.createInterface({ input: proc.stdout });
  const url = await withDeadline(new Promise((resolve, reject) => {
    lines.on('line', (l) => { if (l.startsWith('panel on ')) resolve(l.slice('panel on '.length)); });
    proc.on('exit', (code) => reject(new Error(`controller exited (${code}) before serving the panel:\n${stderr}`)));
  }), waitMs, 'controller start');
  return { url, tcpPort, proc, stderr: () => stderr };
}

// monitor is a TCP client of the controller, for checks independent of the page.
async function monitor(t, port, token) {
  const sock = net.connect(port, '127.0.0.1');
  await withDeadline(once(sock, 'connect'), waitMs, 'TCP connect');
  defer(t, () => sock.destroy());
  const rl = readline.createInterface({ input: sock });
  const waiting = [];
  rl.on('line', (l) => {
    const msg = JSON.parse(l);
    if (msg.type !== 'event' && waiting.length) waiting.shift()(msg);
  });
  let id = 0;
  const request = (req) => withDeadline(new Promise((resolve) => {
    waiting.push(resolve);
    sock.write(JSON.stringify({ ...req, id: ++id }) + '\n');
  }), waitMs, `reply to ${req.type}`);
  const hello = { type: 'hello', version: 1, client: 'test-monitor', role: 'monitor' };
  if (token) hello.token = token;
  assert.equal((await request(hello)).status, 'ok');
  return { request, status: async () => (await request({ type: 'status' })).state };
}

let browser;
let profile;
before(async () => {
  profile = fs.mkdtempSync(path.join(os.tmpdir(), 'aether-panel-chromium-'));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1024, height: 1100 },
  });
});
after(async () => {
  await browser?.close();
  fs.rmSync(profile, { recursive: true, force: true });
});

// openPage opens the panel and fails the test on any page error.
async function openPage(t, url) {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  defer(t, async () => {
    await page.close();
    assert.deepEqual(errors, [], 'the page logged errors');
  });
  await page.goto(url);
  return page;
}

const connected = (page) => page.waitForFunction(() => document.querySelector('#conn').dataset.state === 'connected', null, { timeout: waitMs });
const shownJoints = (page) => page.$$eval('#joints tbody tr', (rows) => rows.map((r) => r.cells[1].textContent));
const jointDegs = (st) => st.joints.map((j) => j.deg);

test('the page loads, connects and shows the arm', async (t) => {
  const ctl = await startController(t);
  const page = await openPage(t, ctl.url);
  assert.equal(await page.title(), 'Aether arm panel');
  await connected(page);
  await page.waitForFunction(() => document.querySelectorAll('#joints tbody tr').length === 5, null, { timeout: waitMs });
  assert.match(await page.textContent('#conn-text'), /connected/);
  assert.equal(await page.isVisible('#stop'), true);
});

test('a jog moves the sim arm and the shown angles change; STOP halts it', async (t) => {
  const ctl = await startController(t, ['--watchdog', '2s']);
  const mon = await monitor(t, ctl.tcpPort);
  const page = await openPage(t, ctl.url);
  await connected(page);

  // Home first: the rest pose at start-up may lie outside the workspace box.
  await page.click('#home');
  await page.waitForFunction(() => document.querySelector('#message').textContent === 'Homing', null, { timeout: waitMs });
  await withDeadline((async () => { while ((await mon.status()).moving || (await mon.status()).watchdog !== 'ok') { /* poll */ } })(), waitMs, 'homed');
  const before = await shownJoints(page);
  const armBefore = jointDegs(await mon.status());

  // Hold the XY pad forward (+x) until the shown angles change.
  const box = await page.locator('#pad').boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.15, { steps: 4 });
  await page.waitForFunction((b) => {
    const now = [...document.querySelectorAll('#joints tbody tr')].map((r) => r.cells[1].textContent);
    return now.length === b.length && now.some((v, i) => v !== b[i]);
  }, before, { timeout: waitMs });
  await page.waitForFunction(() => document.querySelector('#lease').dataset.state === 'mine', null, { timeout: waitMs });
  const moved = await mon.status();
  assert.notDeepEqual(jointDegs(moved), armBefore, 'the controller arm did not move');
  assert.equal(moved.control.startsWith('panel-'), true, `lease holder ${moved.control}`);

  // STOP while the pad is still held: a second finger on the button.
  await page.locator('#stop').dispatchEvent('pointerdown', { pointerId: 2, pointerType: 'touch', isPrimary: false });
  await page.mouse.up();
  await page.waitForFunction(() => document.querySelector('#st-estop').textContent === 'STOPPED' && !document.querySelector('#banner').hidden, null, { timeout: waitMs });
  const stopped = await mon.status();
  assert.equal(stopped.estopped, true);
  // Angles stop changing: the same after at least 300 ms of controller time.
  let later;
  await withDeadline((async () => {
    do { later = await mon.status(); } while (later.time_ms - stopped.time_ms < 300);
  })(), waitMs, 'controller time to pass');
  assert.deepEqual(jointDegs(later), jointDegs(stopped), 'joints moved after STOP');
  assert.equal(later.moving, false);

  // Jogging again is refused until Reset (home no longer clears a stop), and the arm stays.
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.2, box.y + box.height / 2, { steps: 3 });
  await page.waitForFunction(() => /stopped: the stop is latched; send reset first/.test(document.querySelector('#message').textContent), null, { timeout: waitMs });
  await page.mouse.up();
  assert.deepEqual(jointDegs(await mon.status()), jointDegs(stopped));

  fs.mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: path.join(artifacts, 'panel.png'), fullPage: true });
});

test('busy is shown when another client holds control, and STOP still works', async (t) => {
  const ctl = await startController(t, ['--watchdog', '5s']);
  const page = await openPage(t, ctl.url);
  await connected(page);
  const other = await monitor(t, ctl.tcpPort);
  assert.equal((await other.request({ type: 'hello', version: 1, client: 'bridge', role: 'control' })).status, 'ok');
  assert.equal((await other.request({ type: 'home' })).status, 'ok');
  await page.waitForFunction(() => document.querySelector('#lease').textContent === 'busy: bridge has control', null, { timeout: waitMs });
  await page.click('#home');
  await page.waitForFunction(() => /another client holds control \(bridge at/.test(document.querySelector('#message').textContent), null, { timeout: waitMs });
  await page.click('#stop');
  await page.waitForFunction(() => document.querySelector('#st-estop').textContent === 'STOPPED', null, { timeout: waitMs });
  assert.equal((await other.status()).estopped, true);
});

test('calibration steps one servo and builds its arm-file line', async (t) => {
  const ctl = await startController(t, ['--watchdog', '5s']);
  const page = await openPage(t, ctl.url);
  await connected(page);
  await page.click('#calib summary');
  await page.waitForFunction(() => document.querySelectorAll('#cal-servo option').length === 6, null, { timeout: waitMs });
  await page.selectOption('#cal-servo', '0');
  const start = Number(await page.textContent('#cal-pulse'));
  await page.click('[data-step="10"]');
  await page.waitForFunction((s) => Number(document.querySelector('#cal-pulse').textContent) === s + 10, start, { timeout: waitMs });
  await page.click('#use-max');
  const yaml = await page.inputValue('#yaml');
  assert.equal(yaml, `  - {joint: base_yaw, channel: 0, pulse_min_us: 500, pulse_max_us: ${start + 10}, angle_min_deg: -90, angle_max_deg: 90, direction: 1, offset_deg: 0}`);
  const mon = await monitor(t, ctl.tcpPort);
  const list = await mon.request({ type: 'servo' });
  assert.equal(list.calibration.servos[0].pulse_us, start + 10);
  assert.equal(list.calibration.servos[0].raw, true);
});

test('the token is required when set: a wrong one shows an error, the right one works', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aether-token-'));
  defer(t, () => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'token'), 's3cret\n');
  const ctl = await startController(t, ['--token-file', path.join(dir, 'token')]);
  const page = await openPage(t, ctl.url);
  await page.waitForSelector('#token-dialog:not([hidden])', { timeout: waitMs });
  assert.equal(await page.getAttribute('#conn', 'data-state'), 'token');
  assert.match(await page.textContent('#token-error'), /needs a token/);

  await page.fill('#token', 'wrong');
  await page.click('#token-form button[type="submit"]');
  await page.waitForFunction(() => /Wrong token/.test(document.querySelector('#token-error').textContent) &&
    !document.querySelector('#token-dialog').hidden, null, { timeout: waitMs });
  assert.equal(page.url(), ctl.url, 'the token went into the URL');

  await page.fill('#token', 's3cret');
  await page.click('#token-form button[type="submit"]');
  await connected(page);
  assert.equal(await page.isHidden('#token-dialog'), true);
  await page.click('#home');
  await page.waitForFunction(() => document.querySelector('#message').textContent === 'Homing', null, { timeout: waitMs });
  assert.equal(page.url(), ctl.url, 'the token went into the URL');
  assert.doesNotMatch(ctl.stderr(), /s3cret/, 'the token was logged');
});
