// The ops page: reads the event log through /ops/calls with the OPS_TOKEN,
// which stays in sessionStorage (this tab only).
import { formatDuration } from "./format.js";

const TOKEN_KEY = "opsToken";
const $ = (id) => document.getElementById(id);

/** The worker says how a call went (`outcome`); the page only picks a colour. */
const TONES = { answered: "good", missed: "bad", failed: "bad", refused: "bad", voicemail: "live", in_progress: "live", ended: "" };

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
const fmtTime = (iso) => (iso ? timeFormat.format(new Date(iso)) : "—");
const fmtDateTime = (iso) => (iso ? dateTimeFormat.format(new Date(iso)) : "—");
const today = () => new Date().toISOString().slice(0, 10);

function message(text, kind = "info") {
  $("ops-message").textContent = text;
  $("ops-message").dataset.kind = kind;
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  for (const child of children) node.append(child ?? "");
  return node;
}

function badge(status, outcome) {
  const node = el("span", { className: "badge" }, status);
  node.dataset.tone = TONES[outcome] ?? "";
  return node;
}

class OpsError extends Error {}

async function send(path, { method = "GET", accept = "application/json" } = {}) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  try {
    return await fetch(path, { method, headers: { authorization: `Bearer ${token}`, accept }, cache: "no-store" });
  } catch {
    throw new OpsError("The worker cannot be reached. Check your connection.");
  }
}

async function api(path, options) {
  const res = await send(path, options);
  if (res.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    showSignIn();
    throw new OpsError("That token was refused. Enter the OPS_TOKEN again.");
  }
  const body = await res.json().catch(() => null);
  if (res.status === 404 && path.startsWith("/ops/calls?")) {
    throw new OpsError("The ops API is off: the worker has no OPS_TOKEN configured.");
  }
  if (res.status === 404) throw new OpsError("No events are logged for that call.");
  if (!res.ok) throw new OpsError(body?.error?.message ?? `The worker answered ${res.status}.`);
  return body;
}

function showSignIn() {
  lineStream?.abort();
  $("sign-in").hidden = false;
  $("calls").hidden = true;
  $("call").hidden = true;
  $("sign-out").hidden = true;
  $("token").focus();
}

let listState = { day: today(), cursor: null };

async function showCalls({ day = listState.day, append = false } = {}) {
  $("sign-in").hidden = true;
  $("sign-out").hidden = false;
  $("call").hidden = true;
  $("calls").hidden = false;
  // The whole day in one page (up to 1,000 calls), so its totals are the day's.
  const params = new URLSearchParams({ day, limit: "1000" });
  if (append && listState.cursor) params.set("cursor", listState.cursor);
  message("Loading calls…");
  let page;
  try {
    page = await api(`/ops/calls?${params}`);
  } catch (e) {
    message(e.message, "error");
    return;
  }
  listState = { day: page.day, cursor: page.cursor, previous: page.previous_day };
  $("calls-day").textContent = page.day;
  $("calls-day").dateTime = page.day;
  $("day").value = page.day;
  const list = $("call-list");
  if (!append) list.replaceChildren();
  for (const call of page.calls) {
    const parties = [call.from, call.to].filter(Boolean).join(" → ") || "unknown parties";
    list.append(
      el("li", {},
        el("a", { href: `#call=${encodeURIComponent(call.call_id)}` },
          el("time", { className: "call-time", dateTime: call.last_event_at }, fmtTime(call.last_event_at)),
          el("span", { className: "call-parties" }, parties),
          badge(call.status, call.outcome),
          el("span", { className: "call-id" }, call.call_id),
        ),
      ),
    );
  }
  $("more").hidden = !page.cursor;
  const count = list.children.length;
  message(count ? `${count} call${count === 1 ? "" : "s"} on ${page.day}.` : `No calls on ${page.day}.`);
  const callbacks = await api("/ops/callbacks").catch(() => null);
  showTotals(page.totals, callbacks);
  showCallbacks(callbacks);
  showLine();
}

/** How often the "Now" panel asks the call guard, when it cannot follow the guard's pushes. */
const LINE_POLL_MS = 5000;
let lineTimer = null;
/** The open push stream of the line, if any. */
let lineStream = null;

function renderLine(line) {
  const waiting = line.waiting ?? [];
  const longest = waiting.reduce((most, w) => Math.max(most, w.waited_seconds), 0);
  $("line-summary").textContent =
    `${line.live.length} of ${line.lines || "?"} line${line.lines === 1 ? "" : "s"} in use; ` +
    (waiting.length ? `${waiting.length} waiting, the longest for ${formatDuration(longest)}.` : "nobody waiting.");
  $("line-list").replaceChildren(
    ...waiting.map((w) => el("li", {}, el("strong", {}, `${w.place}.`), ` waiting ${formatDuration(w.waited_seconds)} (${w.lang})`, el("span", { className: "call-id" }, ` ${w.leg}`))),
  );
  $("line").hidden = line.live.length === 0 && waiting.length === 0;
}

/**
 * Calls in progress and who waits, while the list is shown: pushed by the
 * call guard as the line moves (Server-Sent Events, read with fetch so the
 * ops token goes in a header, not the URL); asked every LINE_POLL_MS when
 * the push cannot be had.
 */
async function showLine() {
  clearTimeout(lineTimer);
  lineStream?.abort();
  if ($("calls").hidden) return;
  const stream = new AbortController();
  lineStream = stream;
  try {
    const res = await send("/ops/line", { accept: "text/event-stream" });
    if (!res.ok || !res.body || !res.headers.get("content-type")?.startsWith("text/event-stream")) throw new OpsError();
    stream.signal.addEventListener("abort", () => res.body.cancel().catch(() => {}));
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      // Events end with a blank line; each of ours is one `data:` line of JSON.
      for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
        const data = buffer.slice(0, end).split("\n").find((l) => l.startsWith("data: "));
        buffer = buffer.slice(end + 2);
        if (data) renderLine(JSON.parse(data.slice(6)));
      }
    }
  } catch {
    // No push: ask instead.
    if (stream.signal.aborted) return;
    const line = await api("/ops/line").catch(() => null);
    if (line) renderLine(line);
  }
  if (!stream.signal.aborted && lineStream === stream) lineTimer = setTimeout(showLine, LINE_POLL_MS);
}

function showTotals(totals, callbacks) {
  if (!totals) return;
  const items = [
    ["missed", totals.missed, "missed"],
    ["voicemails", totals.voicemails, "voicemail"],
    ["callbacks", callbacks?.open_count ?? 0, "callbacks to make"],
    ["answered", totals.answered, "answered"],
  ];
  $("day-totals").replaceChildren(
    ...items.map(([key, n, label]) => {
      const item = el("li", {}, el("strong", {}, String(n)), ` ${label}`);
      item.dataset.total = key;
      item.dataset.attention = String(key !== "answered" && n > 0);
      return item;
    }),
  );
}

function showCallbacks(callbacks) {
  const open = callbacks?.open ?? [];
  $("callbacks").hidden = open.length === 0;
  $("callback-list").replaceChildren(
    ...open.map((request) => {
      const done = el("button", { type: "button", className: "secondary-button small" }, "Done");
      done.setAttribute("aria-label", `Mark the callback to ${request.name} done`);
      done.addEventListener("click", async () => {
        done.disabled = true;
        try {
          await api(`/ops/callbacks/${encodeURIComponent(request.id)}/done`, { method: "POST" });
          showCalls();
        } catch (e) {
          done.disabled = false;
          message(e.message, "error");
        }
      });
      return el("li", {},
        el("div", { className: "who" },
          el("strong", {}, request.name),
          " ",
          el("a", { href: `tel:${request.phone}` }, request.phone),
        ),
        el("time", { className: "when", dateTime: request.requested_at }, `asked ${fmtDateTime(request.requested_at)}`),
        request.line_place ? el("p", { className: "note" }, el("strong", {}, `From the waiting line (was number ${request.line_place}): first to call back.`)) : "",
        request.note ? el("p", { className: "note" }, request.note) : "",
        done,
      );
    }),
  );
}

/** Fetches a voicemail through the worker (with the ops token) and plays it. */
async function playRecording(recording, slot, button) {
  button.disabled = true;
  try {
    const res = await send(recording.play, { accept: "audio/*" });
    if (!res.ok) {
      const body = await res.json().catch(() => null);
      throw new OpsError(body?.error?.message ?? `The worker answered ${res.status}.`);
    }
    const url = URL.createObjectURL(await res.blob());
    const audio = el("audio", { controls: true, src: url, className: "voicemail-audio" });
    audio.setAttribute("aria-label", "Voicemail");
    slot.replaceChildren(audio);
    await audio.play().catch(() => {});
  } catch (e) {
    button.disabled = false;
    message(e.message, "error");
  }
}

function describeEvent(entry) {
  const raw = entry.raw ?? {};
  const bits = [];
  if (raw.source === "answer_webhook") {
    const said = { apology: "apologised (configuration problem)", refused: "refused", voicemail: "straight to voicemail", hold: "every line busy: on hold in the waiting line" };
    bits.push(`answer webhook: ${said[raw.ncco] ?? "connecting"}`);
  }
  if (raw.recording_uuid) bits.push(`recording ${raw.recording_uuid}`);
  if (entry.direction) bits.push(entry.direction);
  if (entry.from || entry.to) bits.push([entry.from, entry.to].filter(Boolean).join(" → "));
  if (raw.duration) bits.push(`${raw.duration} s`);
  if (raw.price) bits.push(`price ${raw.price}`);
  if (raw.reason) bits.push(`reason: ${raw.reason}`);
  if (raw.caller) bits.push(`the agent heard: "${raw.caller}"`);
  if (raw.detail) bits.push(`detail: ${raw.detail}`);
  return bits.join(" · ");
}

async function showCall(id) {
  lineStream?.abort();
  $("sign-in").hidden = true;
  $("sign-out").hidden = false;
  $("calls").hidden = true;
  message("Loading the call…");
  let call;
  try {
    call = await api(`/ops/calls/${encodeURIComponent(id)}`);
  } catch (e) {
    message(e.message, "error");
    return;
  }
  message("");
  $("call").hidden = false;
  $("call-title").textContent = `Call ${call.status}`;
  $("call-path").textContent = call.path;
  const facts = [
    ["Outcome", call.outcome.replace("_", " ")],
    ["Status", call.status],
    ["Started", fmtDateTime(call.started_at)],
    ["Ended", fmtDateTime(call.ended_at)],
    ["Duration", formatDuration(call.duration_seconds) || "—"],
    ["From", call.from ?? "—"],
    ["To", call.to ?? "—"],
    ["Price", call.price ?? "—"],
    ["Call id", call.call_id],
  ];
  $("call-facts").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  $("recordings").hidden = !call.recordings?.length;
  $("recording-list").replaceChildren(
    ...(call.recordings ?? []).map((recording) => {
      const slot = el("div", { className: "recording-slot" });
      const length = recording.duration_seconds != null ? ` (${formatDuration(recording.duration_seconds)})` : "";
      const play = el("button", { type: "button", className: "call-button play-button" }, `▶ Play voicemail${length}`);
      play.addEventListener("click", () => playRecording(recording, slot, play));
      slot.append(play);
      return el("li", {}, slot);
    }),
  );
  $("timeline").replaceChildren(
    ...call.events.map((entry) =>
      el("li", {},
        el("time", { dateTime: entry.at }, fmtTime(entry.at)),
        el("span", { className: "what" }, entry.status),
        el("span", { className: "details" }, describeEvent(entry)),
      ),
    ),
  );
  $("back").focus();
}

function route() {
  if (!sessionStorage.getItem(TOKEN_KEY)) return showSignIn();
  const match = location.hash.match(/^#call=(.+)$/);
  if (match) return showCall(decodeURIComponent(match[1]));
  return showCalls();
}

$("sign-in").addEventListener("submit", (event) => {
  event.preventDefault();
  const token = $("token").value.trim();
  if (!token) return;
  sessionStorage.setItem(TOKEN_KEY, token);
  $("token").value = "";
  route();
});
$("sign-out").addEventListener("click", () => {
  sessionStorage.removeItem(TOKEN_KEY);
  message("Signed out.");
  showSignIn();
});
$("day").addEventListener("change", () => $("day").value && showCalls({ day: $("day").value }));
$("more").addEventListener("click", () => showCalls({ append: true }));
$("previous-day").addEventListener("click", () => listState.previous && showCalls({ day: listState.previous }));
$("back").addEventListener("click", () => {
  history.pushState(null, "", location.pathname);
  showCalls();
});
window.addEventListener("hashchange", route);
route();
