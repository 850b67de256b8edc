// Times in the bank's zone (the API's `time_zone`), whatever zone the browser is in: shown with the date
// and the offset, and a calendar day turned into the instant it begins there.

const pad = (n, width = 2) => String(n).padStart(width, "0");
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** "YYYY-MM-DD", as a date input holds a day. */
export const isDay = (text) => DAY.test(text || "");

function partsIn(zone, ms) {
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  });
  const parts = Object.fromEntries(format.formatToParts(new Date(ms)).map((part) => [part.type, Number(part.value)]));
  return { ...parts, hour: parts.hour % 24 };
}

// Date.UTC reads years 0–99 as 1900–1999: set the full year so that any year means itself.
function utcMs(year, month, day, hour = 0, minute = 0, second = 0) {
  const when = new Date(0);
  when.setUTCFullYear(year, month - 1, day);
  when.setUTCHours(hour, minute, second, 0);
  return when.getTime();
}

/** The zone's offset from UTC at the instant `ms`, in minutes (+480 for Asia/Shanghai). */
function offsetMinutes(zone, ms) {
  const p = partsIn(zone, ms);
  return Math.round((utcMs(p.year, p.month, p.day, p.hour, p.minute, p.second) - Math.floor(ms / 1000) * 1000) / 60000);
}

function offsetText(minutes) {
  const sign = minutes < 0 ? "-" : "+";
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** "2026-11-02 17:30 UTC+08:00": the date, the time and the zone, so a time read later is never ambiguous. */
export function stamp(iso, zone) {
  if (!iso) return "—";
  const ms = Date.parse(iso);
  const p = partsIn(zone, ms);
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)} UTC${offsetText(offsetMinutes(zone, ms))}`;
}

/** The instant day "YYYY-MM-DD" (plus `days`) begins in the zone, as ISO 8601 with its offset; null if not a day. */
export function dayStart(day, zone, days = 0) {
  const match = DAY.exec(day || "");
  if (!match) return null;
  const midnight = utcMs(Number(match[1]), Number(match[2]), Number(match[3]) + days);
  // The offset at that wall-clock midnight: guess with the offset at UTC midnight, then correct once.
  const offset = offsetMinutes(zone, midnight - offsetMinutes(zone, midnight) * 60000);
  const date = new Date(midnight);
  const text = `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
  return `${text}T00:00:00${offsetText(offset)}`;
}
