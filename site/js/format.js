// Formats shared by the call page and the ops page.

/** `m:ss` for a number of seconds; "" for none. */
export function formatDuration(seconds) {
  if (seconds == null) return "";
  const m = Math.floor(seconds / 60);
  const s = String(seconds % 60).padStart(2, "0");
  return `${m}:${s}`;
}
