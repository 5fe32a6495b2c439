// Opening hours for the visitor: the next opening in their own time zone,
// the week's hours as the company keeps them.

/** The names /config.json uses; shown in the visitor's language. */
const DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/** Short weekday names in `locale`, Monday first (1 January 2024 was a Monday). */
function dayNames(locale) {
  const format = new Intl.DateTimeFormat(locale, { weekday: "short", timeZone: "UTC" });
  return DAYS.map((_, i) => format.format(Date.UTC(2024, 0, 1 + i)));
}

/**
 * The next opening (an RFC 3339 instant from /config.json) in the visitor's
 * zone and language, e.g. "Monday, 30 November at 09:30 GMT+1".
 */
export function formatNextOpen(iso, { locale, timeZone } = {}) {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return "";
  return new Intl.DateTimeFormat(locale, {
    weekday: "long", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit", timeZoneName: "short", timeZone,
  }).format(at);
}

/**
 * The week's hours as lines, consecutive days with the same hours together:
 * [{ days: "Mon–Fri", times: "09:00–17:30" }, { days: "Sat", times: "10:00–14:00" }].
 */
export function weekLines(hours = [], locale) {
  const names = dayNames(locale);
  const byDay = DAYS.map((day) => hours.filter((h) => h.day === day).map((h) => `${h.open}–${h.close}`).join(", "));
  const lines = [];
  for (let i = 0; i < 7; i++) {
    if (!byDay[i]) continue;
    let j = i;
    while (j + 1 < 7 && byDay[j + 1] === byDay[i]) j++;
    lines.push({ days: i === j ? names[i] : `${names[i]}–${names[j]}`, times: byDay[i] });
    i = j;
  }
  return lines;
}

/** Milliseconds until `iso`, for re-checking the hours when the line opens (at most a day). */
export function msUntil(iso, now = Date.now()) {
  const at = new Date(iso).getTime();
  if (Number.isNaN(at)) return null;
  return Math.min(Math.max(at - now, 1000), 86_400_000);
}
