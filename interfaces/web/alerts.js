// Noticed without looking: a new red or orange incident, or one raised to red or orange, counts in the
// tab's title until seen, may sound (off unless turned on) and shows a browser notification once allowed.

import { LEVELS } from "./i18n.js";

const LOUD = new Set(["red", "orange"]);
const SOUND_KEY = "incident.sound";
const RANK = new Map(LEVELS.map((level, index) => [level.code, index]));
const LEVEL_EVENTS = new Set(["LevelChanged", "Escalated"]);

/** True when a feed message makes an incident red or orange: reported so, or raised to it. */
export function isLoud(message) {
  if (!LOUD.has(message.level)) return false;
  if (message.event === "Reported") return true;
  if (!LEVEL_EVENTS.has(message.event)) return false;
  const previous = message.data?.previous;
  // An escalation names no previous level; one that sets none leaves the colour as it was.
  if (message.event === "Escalated") return Boolean(message.data?.level);
  return !previous || (RANK.get(message.level) ?? 0) > (RANK.get(previous) ?? 0);
}

export class Alerts {
  /** describe(message) -> {title, body}: the words; open(incidentId): show it; isOpen(id): shown now. */
  constructor({ describe, open, isOpen, onChange }) {
    this.describe = describe;
    this.open = open;
    this.isOpen = isOpen;
    this.onChange = onChange;
    this.unseen = new Map(); // incident id -> the last loud message about it
    this.audio = null;
  }

  get soundOn() {
    return localStorage.getItem(SOUND_KEY) === "on";
  }

  /** The sound toggle is a click: the only moment a browser lets a page start its audio. */
  toggleSound() {
    localStorage.setItem(SOUND_KEY, this.soundOn ? "off" : "on");
    if (this.soundOn) {
      this.audio ??= new AudioContext();
      this.audio.resume();
    }
  }

  /** Sound was turned on before a reload: the page's first click lets it play again. */
  unlockAudio() {
    if (!this.soundOn) return;
    this.audio ??= new AudioContext();
    this.audio.resume();
  }

  /** Permission is asked only on the user's click (browsers refuse, or nag, otherwise). */
  async askPermission() {
    if (!("Notification" in window)) return;
    await Notification.requestPermission();
  }

  consider(message) {
    // An incident open in the detail view is being looked at (perhaps raised from it): nothing to notice.
    if (!isLoud(message) || this.isOpen(message.incident_id)) return;
    this.unseen.set(message.incident_id, message);
    if (this.soundOn) this.beep();
    this.notify(message);
    this.onChange();
  }

  seen(incidentId) {
    if (this.unseen.delete(incidentId)) this.onChange();
  }

  clear() {
    this.unseen.clear();
    this.onChange();
  }

  /** "(2) " before the page's title while two loud incidents are unseen. */
  title(base) {
    return this.unseen.size ? `(${this.unseen.size}) ${base}` : base;
  }

  notify(message) {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    const { title, body } = this.describe(message);
    // One notification per incident: a second raise replaces the first rather than stacking.
    const shown = new Notification(title, { body, tag: message.incident_id, lang: document.documentElement.lang });
    shown.onclick = () => {
      window.focus();
      this.open(message.incident_id);
      shown.close();
    };
  }

  beep() {
    if (!this.audio || this.audio.state !== "running") return;
    const oscillator = this.audio.createOscillator();
    const gain = this.audio.createGain();
    oscillator.frequency.value = 880;
    gain.gain.setValueAtTime(0.2, this.audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, this.audio.currentTime + 0.6);
    oscillator.connect(gain).connect(this.audio.destination);
    oscillator.start();
    oscillator.stop(this.audio.currentTime + 0.6);
  }
}
