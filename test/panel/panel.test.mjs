// Browser tests of the control panel: the real aether_controller binary
// (sim servos, or Feetech bus servos on test/fakebus's fake bus) and
// Debian's Chromium driven by playwright-core. Every wait is on a condition
// with a deadline; nothing sleeps.
//
// Run: npm test (after ./install.sh and a build of bin/aether_controller;
// test/fakebus is built here). AETHER_CONTROLLER overrides the binary,
// CHROMIUM the browser.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
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

// withDeadline rejects with what when p has not settled within ms.
function withDeadline(p, ms, what) {
  let timer;
  const t = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms); });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

// startController runs the binary with the panel on, both listeners on port 0
// (the kernel picks; nothing can take the port between a check and its use),
// and reads the addresses back from its "panel on" and "listening on" lines;
// backend holds the servo flags (sim by default).
async function startController(t, extra = [], backend = ['--backend', 'sim']) {
  assert.ok(fs.existsSync(binary), `${binary} is missing: build it first (make build, or go build -o bin/ ./cmd/aether_controller)`);
  const proc = spawn(binary, [...backend, '--http', '127.0.0.1:0', '--listen', '127.0.0.1:0', ...extra], {
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
  const { url, tcpPort } = await withDeadline(new Promise((resolve, reject) => {
    let url, tcpPort;
    lines.on('line', (l) => {
      if (l.startsWith('panel on ')) url = l.slice('panel on '.length);
      if (l.startsWith('listening on ')) tcpPort = Number(l.slice(l.lastIndexOf(':') + 1));
      if (url && tcpPort) resolve({ url, tcpPort });
    });
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

// startFakeBus runs test/fakebus: six fake Feetech STS servos (ids 1..6, at
// mid-range) behind a pty. cmd sends it one command and resolves with its
// answer line; path is the pty for --serial-port.
async function startFakeBus(t) {
  const proc = spawn(fakebus, [], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (b) => { stderr += b; });
  const exited = once(proc, 'exit');
  defer(t, async () => {
    proc.stdin.end();
    await withDeadline(exited, waitMs, 'fake bus exit');
  });
  const answers = [];
  let started, failed;
  const path = new Promise((resolve, reject) => { started = resolve; failed = reject; });
  readline.createInterface({ input: proc.stdout }).on('line', (l) => {
    if (l.startsWith('bus ')) started(l.slice('bus '.length));
    else if (answers.length) answers.shift()(l);
  });
  proc.on('exit', (code) => failed(new Error(`fake bus exited (${code}) before opening its pty:\n${stderr}`)));
  const cmd = (line) => withDeadline(new Promise((resolve) => {
    answers.push(resolve);
    proc.stdin.write(line + '\n');
  }), waitMs, `fake bus answer to ${line}`);
  // get reads one servo: its position, last goal and torque.
  const get = async (id) => {
    const m = /^pos (-?\d+) goal (-?\d+) torque (on|off)$/.exec(await cmd(`get ${id}`));
    assert.ok(m, `fake bus answer to get ${id}`);
    return { pos: Number(m[1]), goal: Number(m[2]), torque: m[3] === 'on' };
  };
  return { path: await withDeadline(path, waitMs, 'fake bus start'), cmd, get };
}

let browser;
let profile;
let fakebus;
before(async () => {
  fakebus = process.env.FAKEBUS;
  if (!fakebus) {
    fakebus = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'aether-fakebus-')), 'fakebus');
    execFileSync('go', ['build', '-o', fakebus, './test/fakebus'], { cwd: repo, stdio: 'inherit', timeout: 300000 });
  }
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
  // Sim servos take no torque request: no button, nothing about limp.
  assert.equal(await page.isHidden('#torque-box'), true, 'the torque button shows without the torque capability');
  assert.equal(await page.textContent('#st-feedback'), 'commanded');
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

// startBusArm runs the controller on test/fakebus's Feetech bus with the
// SO-101 arm file, a monitor connection and the page, connected.
async function startBusArm(t) {
  const bus = await startFakeBus(t);
  const ctl = await startController(t, ['--watchdog', '2s'],
    ['--backend', 'feetech', '--arm', path.join(repo, 'config/so101.yaml'), '--serial-port', bus.path]);
  const mon = await monitor(t, ctl.tcpPort);
  const page = await openPage(t, ctl.url);
  await connected(page);
  return { bus, mon, page };
}

// until polls the controller's state through the monitor until ok(state).
async function until(mon, what, ok) {
  let st;
  await withDeadline((async () => { do { st = await mon.status(); } while (!ok(st)); })(), waitMs, what);
  return st;
}

const limpShown = (page) => page.waitForFunction(() => !document.querySelector('#limp').hidden &&
  document.querySelector('#torque').textContent === 'Torque on (hold here)', null, { timeout: waitMs });
const holdShown = (page) => page.waitForFunction(() => document.querySelector('#limp').hidden &&
  document.querySelector('#torque').textContent === 'Torque off (go limp)', null, { timeout: waitMs });
const ticksForDeg = (deg) => 2047 + Math.round((deg * 4096) / 360); // STS3215, config/so101.yaml

test('torque: the button makes a bus arm limp, the page follows a hand, torque on holds there', async (t) => {
  const { bus, mon, page } = await startBusArm(t);
  assert.equal(await page.isVisible('#torque'), true, 'no torque button with bus servos');
  // A bus arm starts limp (docs/protocol.md §15), and the page says so.
  await limpShown(page);
  assert.equal(await page.textContent('#st-feedback'), 'measured');

  await page.click('#torque');
  await until(mon, 'torque on', (st) => st.torque === 'on');
  await holdShown(page);
  assert.deepEqual(await bus.get(1), { pos: 2047, goal: 2047, torque: true }, 'torque on moved the arm');

  // Torque off through the button: the controller reports the arm limp.
  await page.click('#torque');
  await until(mon, 'torque off', (st) => st.torque === 'off' && st.watchdog === 'off');
  await limpShown(page);
  assert.equal((await bus.get(1)).torque, false);

  // Posed by hand: shoulder_pan to -60°, elbow_flex 20° further. The page's
  // angles follow, with no request from anyone.
  assert.equal(await bus.cmd(`pos 1 ${ticksForDeg(-60)}`), 'ok');
  assert.equal(await bus.cmd(`pos 3 ${ticksForDeg(20)}`), 'ok');
  await page.waitForFunction(() => {
    const deg = [...document.querySelectorAll('#joints tbody tr')].map((r) => Number(r.cells[1].textContent));
    return Math.abs(deg[0] + 60) < 0.1 && Math.abs(deg[2] + 70) < 0.1;
  }, null, { timeout: waitMs });
  const posed = await mon.status();
  fs.mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: path.join(artifacts, 'panel-limp.png'), fullPage: true });
  assert.ok(Math.abs(posed.joints[0].deg + 60) < 0.1, `controller shoulder_pan ${posed.joints[0].deg}`);

  // Torque on again: it holds where the hand left it; nothing moves.
  await page.click('#torque');
  const held = await until(mon, 'torque on again', (st) => st.torque === 'on');
  await holdShown(page);
  assert.deepEqual(await bus.get(1), { pos: ticksForDeg(-60), goal: ticksForDeg(-60), torque: true });
  assert.deepEqual(await bus.get(3), { pos: ticksForDeg(20), goal: ticksForDeg(20), torque: true });
  let later;
  await withDeadline((async () => { do { later = await mon.status(); } while (later.time_ms - held.time_ms < 300); })(),
    waitMs, 'controller time to pass');
  assert.deepEqual(jointDegs(later), jointDegs(posed), 'the arm moved after torque on');
  assert.equal(later.moving, false);
});

test('torque: a servo fault is shown with its message and the button recovers it', async (t) => {
  const { bus, mon, page } = await startBusArm(t);
  await limpShown(page);
  await page.click('#torque');
  await until(mon, 'torque on', (st) => st.torque === 'on');

  assert.equal(await bus.cmd('fault 3'), 'ok');
  await page.waitForFunction(() => /^servo fault: id 3 \(joint "elbow_flex"\) reports overload; the arm is held: .* then switch torque on to recover$/.test(document.querySelector('#fault').textContent) &&
    !document.querySelector('#fault').hidden && document.querySelector('#torque').textContent === 'Recover: torque on', null, { timeout: waitMs });

  // Recovery while the cause is still there fails and says so; the fault stays.
  await page.click('#torque');
  await page.waitForFunction(() => /^still faulted after recovery: servo fault: id 3/.test(document.querySelector('#message').textContent) &&
    document.querySelector('#message').classList.contains('error'), null, { timeout: waitMs });
  assert.match((await mon.status()).fault, /id 3 \(joint "elbow_flex"\) reports overload/);
  assert.equal(await page.isVisible('#fault'), true);

  // The load is removed. Recovery is rate-limited to one try per 2 s
  // (docs/protocol.md §15): once the controller's clock (as the page's
  // limp/fault heartbeat reads it) is past that, the button recovers.
  const failedAt = (await mon.status()).time_ms;
  assert.equal(await bus.cmd('clear 3'), 'ok');
  await page.waitForFunction((t) => window.panel.arm.state.time_ms >= t + 2100, failedAt, { timeout: waitMs });
  await page.click('#torque');
  await until(mon, 'recovered', (st) => st.fault === undefined && st.torque === 'on');
  await page.waitForFunction(() => document.querySelector('#fault').hidden, null, { timeout: waitMs });
  await holdShown(page);
  assert.equal((await bus.get(3)).torque, true);
  await page.waitForFunction(() => document.querySelector('#message').textContent === 'Torque on: holding the measured pose', null, { timeout: waitMs });
});
