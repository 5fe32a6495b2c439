// The ops page: reads the event log through /ops/calls with the OPS_TOKEN,
// which stays in sessionStorage (this tab only).
import { formatDuration } from "./format.js";

const TOKEN_KEY = "opsToken";
const $ = (id) => document.getElementById(id);

/** The worker says how a call went (`outcome`); the page only picks a colour. */
const TONES = { answered: "good", missed: "bad", failed: "bad", in_progress: "live", ended: "" };

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

async function api(path) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  let res;
  try {
    res = await fetch(path, { headers: { authorization: `Bearer ${token}`, accept: "application/json" }, cache: "no-store" });
  } catch {
    throw new OpsError("The worker cannot be reached. Check your connection.");
  }
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
  const params = new URLSearchParams({ day });
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
}

function describeEvent(entry) {
  const raw = entry.raw ?? {};
  const bits = [];
  if (raw.source === "answer_webhook") bits.push(raw.ncco === "apology" ? "answer webhook: apologised (configuration problem)" : "answer webhook: connecting");
  if (entry.direction) bits.push(entry.direction);
  if (entry.from || entry.to) bits.push([entry.from, entry.to].filter(Boolean).join(" → "));
  if (raw.duration) bits.push(`${raw.duration} s`);
  if (raw.price) bits.push(`price ${raw.price}`);
  if (raw.reason) bits.push(`reason: ${raw.reason}`);
  if (raw.detail) bits.push(`detail: ${raw.detail}`);
  return bits.join(" · ");
}

async function showCall(id) {
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
  const facts = [
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
