// Servo calibration helper: raw pulses step by step (docs/protocol.md §12)
// and the arm-file line for the servo.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const cal = { servos: [], maxStep: 50, minPulse: 100, maxPulse: 4000, current: null, going: false, enabled: false };

  const selected = () => cal.servos.find((s) => String(s.channel) === $('cal-servo').value);

  async function refresh() {
    const r = await window.panel.send({ type: 'servo' });
    if (r.status !== 'ok') {
      window.panel.showMessage(r.message, true);
      return;
    }
    const rep = r.calibration;
    cal.maxStep = rep.max_step_us;
    cal.minPulse = rep.min_pulse_us;
    cal.maxPulse = rep.max_pulse_us;
    cal.servos = rep.servos;
    $('cal-step').textContent = cal.maxStep;
    const sel = $('cal-servo');
    const keep = sel.value;
    sel.replaceChildren(...cal.servos.map((s) => new Option(`channel ${s.channel}: ${s.joint}`, String(s.channel))));
    if (keep && cal.servos.some((s) => String(s.channel) === keep)) sel.value = keep;
    choose();
  }

  // choose shows the selected servo and fills the fields from its calibration.
  function choose() {
    const s = selected();
    if (!s) return;
    cal.current = s.pulse_us;
    $('f-pulse-min').value = s.pulse_min_us;
    $('f-pulse-max').value = s.pulse_max_us;
    $('f-angle-min').value = s.angle_min_deg;
    $('f-angle-max').value = s.angle_max_deg;
    $('f-direction').value = String(s.direction);
    $('f-offset').value = s.offset_deg;
    show(s);
  }

  function show(s) {
    $('cal-pulse').textContent = cal.current;
    $('cal-raw').textContent = s && s.raw ? '(raw)' : '';
    snippet();
  }

  // step moves the selected servo to pulse (at most maxStep away).
  async function step(pulse) {
    const s = selected();
    if (!s || cal.current === null) return false;
    pulse = Math.max(cal.minPulse, Math.min(cal.maxPulse, Math.round(pulse)));
    const r = await window.panel.send({ type: 'servo', channel: s.channel, pulse_us: pulse });
    if (r.status !== 'ok') {
      window.panel.showMessage(r.message, true);
      if (r.code === 'out_of_range') refresh(); // the servo may have moved since (a jog, home)
      return false;
    }
    const now = r.calibration.servos[0];
    Object.assign(s, now);
    cal.current = now.pulse_us;
    window.panel.showMessage(r.message);
    show(s);
    return true;
  }

  document.querySelectorAll('[data-step]').forEach((b) => {
    b.addEventListener('click', () => {
      if (cal.current === null) return;
      const d = Math.max(-cal.maxStep, Math.min(cal.maxStep, Number(b.dataset.step)));
      step(cal.current + d);
    });
  });

  // Go: step toward the goal, one step per reply, paced so the servo follows.
  $('cal-go').addEventListener('click', async () => {
    const goal = Number($('cal-goal').value);
    if (!Number.isFinite(goal) || goal < cal.minPulse || goal > cal.maxPulse) {
      window.panel.showMessage(`go to: enter a pulse width from ${cal.minPulse} to ${cal.maxPulse} µs`, true);
      return;
    }
    if (cal.going) return;
    cal.going = true;
    $('cal-go').disabled = true;
    while (cal.going && cal.current !== null && cal.current !== goal) {
      const d = Math.max(-cal.maxStep, Math.min(cal.maxStep, goal - cal.current));
      if (!(await step(cal.current + d))) break;
      await new Promise((res) => setTimeout(res, 150));
    }
    cal.going = false;
    $('cal-go').disabled = false;
  });

  $('cal-servo').addEventListener('change', choose);
  $('calib').addEventListener('toggle', () => { if ($('calib').open && cal.enabled) refresh(); });
  $('use-min').addEventListener('click', () => { if (cal.current !== null) $('f-pulse-min').value = cal.current; snippet(); });
  $('use-max').addEventListener('click', () => { if (cal.current !== null) $('f-pulse-max').value = cal.current; snippet(); });
  for (const id of ['f-pulse-min', 'f-pulse-max', 'f-angle-min', 'f-angle-max', 'f-direction', 'f-offset']) {
    $(id).addEventListener('input', snippet);
  }

  // snippet builds the servos: entry, checked like servo.Calibration.Validate.
  function snippet() {
    const s = selected();
    if (!s) return;
    const num = (id) => Number($(id).value);
    const v = {
      pmin: num('f-pulse-min'), pmax: num('f-pulse-max'), amin: num('f-angle-min'), amax: num('f-angle-max'),
      dir: num('f-direction'), off: num('f-offset'),
    };
    const errs = [];
    const whole = (n) => Number.isInteger(n) && n >= cal.minPulse && n <= cal.maxPulse;
    if (!whole(v.pmin)) errs.push(`pulse_min_us: use a whole number from ${cal.minPulse} to ${cal.maxPulse}`);
    if (!whole(v.pmax)) errs.push(`pulse_max_us: use a whole number from ${cal.minPulse} to ${cal.maxPulse}`);
    if (v.pmax <= v.pmin) errs.push('pulse_max_us must be greater than pulse_min_us (use direction -1 to reverse a servo)');
    if (![v.amin, v.amax, v.off].every(Number.isFinite)) errs.push('angles and offset must be numbers');
    if (v.amax <= v.amin) errs.push('angle_max_deg must be greater than angle_min_deg');
    if (s.joint === 'gripper' && v.off !== 0) errs.push('offset_deg must be 0 for the gripper');
    $('yaml-error').textContent = errs.join('; ');
    $('yaml').value = `  - {joint: ${s.joint}, channel: ${s.channel}, pulse_min_us: ${v.pmin}, pulse_max_us: ${v.pmax}, ` +
      `angle_min_deg: ${v.amin}, angle_max_deg: ${v.amax}, direction: ${v.dir}, offset_deg: ${v.off}}`;
  }

  $('copy').addEventListener('click', async () => {
    const text = $('yaml').value;
    try {
      await navigator.clipboard.writeText(text);
    } catch (e) {
      $('yaml').select(); // not a secure context (plain http to the Pi): copy by hand
      document.execCommand('copy');
    }
    window.panel.showMessage('copied the servos: line');
  });

  window.calibration = {
    // connected is called after each hello; servo says whether raw pulses work.
    connected(servo) {
      cal.enabled = servo;
      $('cal-missing').hidden = servo;
      $('cal-body').hidden = !servo;
      if (servo) refresh();
    },
    // leftCalibration is called when a command or home returned to IK motion.
    leftCalibration() {
      if (cal.servos.some((s) => s.raw)) refresh();
    },
    abort() { cal.going = false; },
  };
})();
