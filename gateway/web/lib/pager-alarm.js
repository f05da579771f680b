// @ts-check
// The soft pager's alarm: sound and vibration (the cards flash by CSS while ringing), REPEATED while any alert on screen still
// waits for someone to go, and silent as soon as none does. A single beep is easy to miss in a noisy
// corridor or a pocket; a repeating one is what carers know from hardware pagers.
//
// Browsers refuse to play sound until the user has tapped the page, so sound is an explicit, visible
// choice: "Sound is off" until the carer taps "Turn sound on". The choice is remembered for the browser
// session; after a reload the browser still needs a fresh tap, so the page says so and takes the first
// tap or key press anywhere as that gesture.

const SOUND_KEY = 'care-gateway.sound';
/** How often the alarm repeats while an alert waits. */
export const REPEAT_MS = 3000;

/**
 * @param {{box: HTMLElement, state: HTMLElement, button: HTMLElement, indicator: HTMLElement,
 *   describe: (ids: string[]) => string}} ui
 */
export function createAlarm(ui) {
  /** @type {AudioContext|null} */ let audio = null;
  /** @type {string[]} */ let ringing = [];
  /** @type {ReturnType<typeof setInterval>|undefined} */ let timer;
  let rings = 0;

  const soundOn = () => audio?.state === 'running';

  function showSound() {
    const on = soundOn(), wanted = sessionStorage.getItem(SOUND_KEY) === 'on';
    ui.box.dataset.sound = on ? 'on' : 'off';
    ui.button.hidden = on;
    ui.state.textContent = on
      ? 'Sound on: alerts beep until someone accepts.'
      : wanted
        ? 'Sound is paused by the browser: tap anywhere on the page to turn it back on.'
        : 'Sound is off: new alerts will only flash and vibrate.';
  }

  /** Must run inside a tap or key press (the browser's user-gesture rule). */
  async function enable() {
    try {
      audio ??= new AudioContext();
      await audio.resume();
    } catch {
      ui.state.textContent = 'Sound is not available on this device: alerts will only flash and vibrate.';
      return false;
    }
    // The OS can suspend audio again (a phone call): the state text follows it.
    audio.onstatechange = showSound;
    if (soundOn()) sessionStorage.setItem(SOUND_KEY, 'on');
    showSound();
    return soundOn();
  }

  function beep() {
    if (!audio || !soundOn()) return;
    const t0 = audio.currentTime;
    // Two falling tones: distinct from phone notification sounds, with short ramps to avoid clicks.
    for (const [freq, at] of [[880, 0], [660, 0.3]]) {
      const osc = audio.createOscillator(), gain = audio.createGain();
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, t0 + at);
      gain.gain.exponentialRampToValueAtTime(0.5, t0 + at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t0 + at + 0.25);
      osc.connect(gain).connect(audio.destination);
      osc.start(t0 + at); osc.stop(t0 + at + 0.3);
    }
  }

  function ring() {
    rings++;
    ui.indicator.dataset.rings = String(rings);
    beep();
    navigator.vibrate?.([300, 150, 300]);
  }

  ui.button.addEventListener('click', async () => {
    if (!(await enable())) return;
    beep(); // a test beep, so the carer knows the volume is up
    // The button has just been hidden: keep keyboard focus on the line that now says sound is on.
    ui.state.tabIndex = -1;
    ui.state.focus();
  });
  if (sessionStorage.getItem(SOUND_KEY) === 'on') {
    // Chosen earlier in this session: the browser needs a new gesture after a reload, so take the first one.
    const again = () => { void enable(); };
    document.addEventListener('pointerdown', again, { once: true, capture: true });
    document.addEventListener('keydown', again, { once: true, capture: true });
  }
  showSound();

  return {
    /**
     * The alerts that should ring now (waiting, and not declined here). Starts ringing at once for a new
     * one, keeps the rhythm while the set changes, and stops when it is empty.
     * @param {string[]} ids
     */
    set(ids) {
      const fresh = ids.some((id) => !ringing.includes(id));
      ringing = ids;
      ui.indicator.dataset.ringing = String(ids.length > 0);
      ui.indicator.hidden = ids.length === 0;
      ui.indicator.textContent = ids.length ? ui.describe(ids) : '';
      if (ids.length === 0) { clearInterval(timer); timer = undefined; return; }
      if (fresh) { ring(); clearInterval(timer); timer = setInterval(ring, REPEAT_MS); }
    },
    soundOn,
  };
}
