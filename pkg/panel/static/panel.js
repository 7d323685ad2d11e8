// Aether arm control panel: a protocol client over WebSocket (one line per
// text message, docs/protocol.md §13). Plain JS, no framework, no CDN.
'use strict';

const $ = (id) => document.getElementById(id);

// Link: the WebSocket, request ids and the replies they wait for.
const link = {
  ws: null,
  nextId: 1,
  pending: new Map(), // id → {resolve, sent, type}
  authed: false,
  token: null, // kept in memory only: never in a URL, storage or a log
  needToken: false,
  retryMs: 500,
  client: panelName(),
  caps: [],
};

// panelName is this tab's hello client name. It survives a reload of the
// page (sessionStorage is per tab), so a STOP pressed here can still be reset
// from here after a reload: the controller lets only the client that latched
// a stop reset it (docs/protocol.md §8).
function panelName() {
  const key = 'aether-panel-client';
  let name = null;
  try {
    name = sessionStorage.getItem(key);
  } catch (e) { /* storage disabled: a fresh name per load */ }
  if (!name) {
    name = 'panel-' + Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) => b.toString(16).padStart(2, '0')).join('');
    try {
      sessionStorage.setItem(key, name);
    } catch (e) { /* as above */ }
  }
  return name;
}

// Arm: the latest state and the jog target.
const arm = { state: null, target: null, gripper: 0, inflight: false, lastSend: 0, jogging: false };

// Samples for the plot: ok command replies and round trips, with times.
const stats = { commands: [], rtts: [] };

function setConn(state, text) {
  const el = $('conn');
  el.dataset.state = state;
  $('conn-text').textContent = text;
}

function showMessage(text, isError) {
  const el = $('message');
  el.textContent = text;
  el.classList.toggle('error', !!isError);
}

function connect() {
  if (link.ws) return;
  setConn('connecting', 'connecting…');
  const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws');
  link.ws = ws;
  ws.onopen = () => hello();
  ws.onmessage = (ev) => {
    for (const line of String(ev.data).split('\n')) {
      if (line.trim() !== '') onLine(line);
    }
  };
  ws.onclose = () => {
    link.ws = null;
    link.authed = false;
    arm.inflight = false;
    for (const p of link.pending.values()) p.resolve({ status: 'error', code: 'disconnected', message: 'connection lost' });
    link.pending.clear();
    if (link.needToken) {
      setConn('token', 'token needed');
      return;
    }
    setConn('disconnected', 'disconnected, retrying…');
    setTimeout(connect, link.retryMs);
    link.retryMs = Math.min(link.retryMs * 2, 5000);
  };
}

function onLine(line) {
  let msg;
  try {
    msg = JSON.parse(line);
  } catch (e) {
    showMessage('controller sent a line that is not JSON: ' + line.slice(0, 80), true);
    return;
  }
  if (msg.type === 'event') {
    renderState(msg.state);
    return;
  }
  const p = msg.id !== undefined ? link.pending.get(msg.id) : undefined;
  if (!p) {
    // Lines without a request: shutdown, too many clients, floods.
    showMessage(msg.message, msg.status !== 'ok');
    return;
  }
  link.pending.delete(msg.id);
  stats.rtts.push({ t: performance.now(), ms: performance.now() - p.sent });
  p.resolve(msg);
}

// send writes one request line and resolves with its reply.
function send(req) {
  return new Promise((resolve) => {
    const ws = link.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      resolve({ status: 'error', code: 'disconnected', message: 'not connected to the controller' });
      return;
    }
    req.id = link.nextId++;
    link.pending.set(req.id, { resolve, sent: performance.now(), type: req.type });
    ws.send(JSON.stringify(req) + '\n');
  });
}

async function hello() {
  const req = { type: 'hello', version: 1, client: link.client, role: 'control' };
  if (link.token !== null) req.token = link.token;
  const r = await send(req);
  if (r.status !== 'ok') {
    if (r.code === 'unauthorized') {
      link.needToken = true;
      askToken(link.token === null ? 'This controller needs a token.' : 'Wrong token: ' + r.message);
    } else {
      showMessage(r.message, true);
    }
    return;
  }
  link.authed = true;
  link.needToken = false;
  link.retryMs = 500;
  link.caps = (r.server && r.server.capabilities) || [];
  setConn('connected', 'connected to ' + ((r.server && r.server.arm) || 'arm'));
  showMessage('');
  const s = await send({ type: 'subscribe' });
  if (s.status !== 'ok') showMessage(s.message, true);
  window.calibration.connected(link.caps.includes('servo'));
  $('torque-box').hidden = !link.caps.includes('torque');
}

function askToken(error) {
  $('token-error').textContent = error;
  $('token-dialog').hidden = false;
  $('token').focus();
}

$('token-form').addEventListener('submit', (ev) => {
  ev.preventDefault(); // never a form submission: the token stays out of URLs
  link.token = $('token').value.trim();
  $('token').value = '';
  $('token-dialog').hidden = true;
  link.needToken = false;
  if (link.ws) link.ws.close();
  else connect();
});

// State display.
function renderState(st) {
  arm.state = st;
  const body = $('joints').tBodies[0];
  st.joints.forEach((j, i) => {
    let row = body.rows[i];
    if (!row || row.dataset.joint !== j.name) {
      row = body.insertRow(i);
      row.dataset.joint = j.name;
      row.insertCell().textContent = j.name;
      row.insertCell().className = 'deg';
    }
    row.cells[1].textContent = j.deg.toFixed(1);
  });
  while (body.rows.length > st.joints.length) body.deleteRow(-1);
  $('st-gripper').textContent = st.gripper.toFixed(2) + (st.gripper < 0.5 ? ' (open)' : ' (closed)');
  $('st-pose').textContent = [st.pose.x, st.pose.y, st.pose.z].map((v) => v.toFixed(1)).join(', ');
  $('st-moving').textContent = st.moving ? 'yes' : 'no';
  $('st-estop').textContent = st.estopped ? 'STOPPED' : 'no';
  $('watchdog').textContent = 'watchdog: ' + st.watchdog;
  const lease = $('lease');
  if (st.control === '') {
    lease.dataset.state = 'free';
    lease.textContent = 'control: free';
  } else if (st.control === link.client) {
    lease.dataset.state = 'mine';
    lease.textContent = 'control: this panel';
  } else {
    lease.dataset.state = 'busy';
    lease.textContent = 'busy: ' + st.control + ' has control';
  }
  renderTorque(st);
  const banner = $('banner');
  banner.hidden = !st.estopped;
  banner.textContent = st.estopped ? 'STOPPED — press Reset to move again (only the client that pressed STOP may reset it)' : '';
}

// Torque (bus servos, docs/protocol.md §15): off makes the arm limp so a
// person can pose it by hand and read the measured angles; on holds it where
// it is, and recovers a latched servo fault first.
function renderTorque(st) {
  $('st-feedback').textContent = st.feedback || 'commanded';
  if ($('torque-box').hidden) return;
  const limp = st.torque === 'off';
  $('limp').hidden = !limp;
  const fault = $('fault');
  fault.hidden = !st.fault;
  fault.textContent = st.fault || ''; // the controller's whole message: servo, joint, flag, what to do
  const button = $('torque');
  button.dataset.on = String(limp || !!st.fault);
  button.textContent = st.fault ? 'Recover: torque on' : limp ? 'Torque on (hold here)' : 'Torque off (go limp)';
}

$('torque').addEventListener('click', async () => {
  const button = $('torque');
  const on = button.dataset.on === 'true';
  button.disabled = true;
  const r = await send({ type: 'torque', on });
  button.disabled = false;
  showMessage(r.message, r.status !== 'ok');
  if (r.status === 'ok') arm.target = null; // a jog starts from the measured pose
  if (r.status === 'ok' && !on) await readState(); // show LIMP now, not at the next heartbeat
});

// readState renders the state from a status request.
async function readState() {
  const r = await send({ type: 'status' });
  if (r.status === 'ok' && r.state) renderState(r.state);
  return r;
}

// Jog pads: pointer events, spring back to the centre on release.
class Pad {
  constructor(el, axes) {
    this.el = el;
    this.axes = axes; // 'xy' or 'z'
    this.knob = el.querySelector('.knob');
    this.x = 0; // -1..1, right positive
    this.y = 0; // -1..1, up positive
    this.pointer = null;
    el.addEventListener('pointerdown', (ev) => {
      if (this.pointer !== null) return;
      this.pointer = ev.pointerId;
      el.setPointerCapture(ev.pointerId);
      el.classList.add('active');
      this.move(ev);
      ev.preventDefault();
    });
    el.addEventListener('pointermove', (ev) => { if (ev.pointerId === this.pointer) this.move(ev); });
    const end = (ev) => { if (ev.pointerId === this.pointer) this.release(); };
    el.addEventListener('pointerup', end);
    el.addEventListener('pointercancel', end);
    el.addEventListener('lostpointercapture', end);
  }
  get active() { return this.pointer !== null; }
  move(ev) {
    const r = this.el.getBoundingClientRect();
    const clamp = (v) => Math.max(-1, Math.min(1, v));
    this.x = this.axes === 'xy' ? clamp(((ev.clientX - r.left) / r.width) * 2 - 1) : 0;
    this.y = clamp(1 - ((ev.clientY - r.top) / r.height) * 2);
    this.knob.style.transform = `translate(${(this.x * r.width) / 2}px, ${(-this.y * r.height) / 2}px)`;
  }
  release() {
    this.pointer = null;
    this.x = this.y = 0;
    this.knob.style.transform = '';
    this.el.classList.remove('active');
  }
}

const pad = new Pad($('pad'), 'xy');
const zpad = new Pad($('zpad'), 'z');
const deadZone = 0.08;
const dz = (v) => (Math.abs(v) < deadZone ? 0 : v);

$('speed').addEventListener('input', () => { $('speed-out').textContent = $('speed').value; });

function poseTarget() {
  if (arm.target) return arm.target;
  if (!arm.state) return null;
  return { x: arm.state.pose.x, y: arm.state.pose.y, z: arm.state.pose.z };
}

// jogTick sends one command while a pad is held: one at a time, each from
// the last accepted target, so the arm stops at the workspace's edge.
async function jogTick() {
  const jogging = pad.active || zpad.active;
  if (jogging && !arm.jogging) arm.target = null; // a new jog starts from where the arm is
  arm.jogging = jogging;
  if (!jogging) return;
  if (!link.authed || arm.inflight) return;
  const from = poseTarget();
  if (!from) return;
  const now = performance.now();
  const dt = Math.min((now - (arm.lastSend || now - 50)) / 1000, 0.1);
  const v = Number($('speed').value);
  const next = { x: from.x + dz(pad.y) * v * dt, y: from.y - dz(pad.x) * v * dt, z: from.z + dz(zpad.y) * v * dt };
  if (next.x === from.x && next.y === from.y && next.z === from.z) return;
  arm.lastSend = now;
  await command(next, 500);
}

async function command(target, ttl) {
  arm.inflight = true;
  const req = { type: 'command', x: round1(target.x), y: round1(target.y), z: round1(target.z), gripper: arm.gripper };
  if (ttl) req.ttl_ms = ttl;
  const r = await send(req);
  arm.inflight = false;
  if (r.status === 'ok') {
    arm.target = r.clamped ? r.clamped : { x: req.x, y: req.y, z: req.z };
    stats.commands.push(performance.now());
    window.calibration.leftCalibration();
  } else {
    showMessage(r.message, true);
  }
  return r;
}

const round1 = (v) => Math.round(v * 10) / 10;

// The gripper button sends only the gripper: the controller keeps the arm's
// target (docs/protocol.md, command). A position taken from the page (the
// last jog target or reported pose) could be stale, and would stop a home
// or move the arm.
$('gripper').addEventListener('click', async () => {
  arm.gripper = arm.gripper < 0.5 ? 1 : 0;
  const r = await send({ type: 'command', gripper: arm.gripper });
  if (r.status !== 'ok') {
    arm.gripper = 1 - arm.gripper;
    showMessage(r.message, true);
  }
  $('gripper').textContent = 'Gripper: ' + (arm.gripper < 0.5 ? 'open' : 'closed');
});

async function simple(type, after) {
  const r = await send({ type });
  if (r.status === 'ok') {
    showMessage(r.message);
    if (after) after();
  } else {
    showMessage(r.message, true);
  }
}

$('home').addEventListener('click', () => simple('home', () => { arm.target = null; window.calibration.leftCalibration(); }));
$('reset').addEventListener('click', () => simple('reset', () => { arm.target = null; }));

// STOP goes out at once, ahead of everything; it also ends any jog.
function stop() {
  pad.release();
  zpad.release();
  window.calibration.abort();
  arm.target = null; // the arm halts short of it
  simple('stop');
}
$('stop').addEventListener('pointerdown', (ev) => { ev.preventDefault(); stop(); });
$('stop').addEventListener('click', (ev) => { if (ev.detail === 0) stop(); }); // keyboard activation
document.addEventListener('keydown', (ev) => {
  if ((ev.key === ' ' || ev.key === 'Escape') && ev.target.tagName !== 'INPUT' && ev.target.tagName !== 'TEXTAREA') {
    ev.preventDefault();
    stop();
  }
});

// Heartbeat: the control client must talk at least every watchdog period.
// While the arm is limp or faulted it reads the state instead: events come
// on change only, and a hand moving a limp arm is not one.
async function ping() {
  if (!link.authed) return;
  const st = arm.state;
  const watch = st && (st.torque === 'off' || !!st.fault);
  const r = watch ? await readState() : await send({ type: 'ping' });
  if (r.status === 'ok') $('rtt-now').textContent = 'now ' + stats.rtts[stats.rtts.length - 1].ms.toFixed(1) + ' ms';
}

// Plot: commands per second and round trips over the last 30 s.
const plotSpan = 30000;
function drawPlot() {
  const c = $('plot');
  const dpr = window.devicePixelRatio || 1;
  const w = c.clientWidth, h = c.clientHeight;
  if (c.width !== w * dpr) { c.width = w * dpr; c.height = h * dpr; }
  const g = c.getContext('2d');
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  const now = performance.now();
  const t0 = now - plotSpan;
  stats.rtts = stats.rtts.filter((s) => s.t >= t0);
  stats.commands = stats.commands.filter((t) => t >= t0);
  const rate = [];
  for (let t = t0 + 1000; t <= now; t += 250) {
    rate.push({ t, v: stats.commands.filter((c) => c > t - 1000 && c <= t).length });
  }
  const maxRate = Math.max(10, ...rate.map((s) => s.v));
  const maxRtt = Math.max(5, ...stats.rtts.map((s) => s.ms));
  const x = (t) => ((t - t0) / plotSpan) * w;
  const line = (pts, val, max, color) => {
    g.strokeStyle = color;
    g.lineWidth = 1.5;
    g.beginPath();
    pts.forEach((p, i) => { const y = h - 4 - (val(p) / max) * (h - 16); if (i) g.lineTo(x(p.t), y); else g.moveTo(x(p.t), y); });
    g.stroke();
  };
  line(rate, (p) => p.v, maxRate, '#2563eb');
  line(stats.rtts, (p) => p.ms, maxRtt, '#d97706');
  g.fillStyle = '#6b7280';
  g.font = '11px system-ui';
  g.fillText(`${maxRate}/s`, 4, 11);
  g.fillText(`${maxRtt.toFixed(0)} ms`, w - 44, 11);
}

window.panel = { send, showMessage, link, arm };
setInterval(jogTick, 50);
setInterval(ping, 200);
setInterval(drawPlot, 250);
connect();
