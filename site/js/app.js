// Wires the page: the Vonage Client SDK (loaded by the <script> before this
// module), our /auth (asked when Call is pressed: each call gets a Vonage
// user of its own), the microphone, the view, the visitor's language and,
// when the page is the embed's call panel, the host page's call button.
import { createCallController } from "./call-controller.js";
import { createCallbackForm } from "./callback-form.js";
import { applyWords, candidates, loadLanguage, useWords } from "./i18n.js";
import { formatNextOpen, msUntil, weekLines } from "./opening.js";
import { fetchToken } from "./token-client.js";
import { createView } from "./view.js";

const params = new URLSearchParams(location.search);
/** The embed's panel: framed by an allowed site, which passes its origin as `host`. */
const host = params.get("embed") === "1" && window.parent !== window ? originOf(params.get("host")) : null;

function originOf(value) {
  try {
    const url = new URL(value);
    return url.origin === value ? value : null;
  } catch {
    return null;
  }
}

async function requestMicrophone() {
  if (!window.isSecureContext || !navigator.mediaDevices?.getUserMedia) {
    throw Object.assign(new Error("no getUserMedia"), { name: "NotSupportedError" });
  }
  // Ask before placing the call, so a refusal gets its own clear message.
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  for (const track of stream.getTracks()) track.stop();
}

function createClient() {
  const sdk = globalThis.vonageClientSDK;
  if (!sdk?.VonageClient) throw new Error("the Vonage Client SDK did not load");
  return new sdk.VonageClient();
}

const fetchConfig = () =>
  fetch("/config.json", { headers: { accept: "application/json" } })
    .then((res) => (res.ok ? res.json() : null))
    .catch(() => null);

/** The host page's button opened the panel: the keyboard continues here, on Call now once it is ready. */
let focusWanted = false;
function takeFocus() {
  const button = document.getElementById("call-button");
  if (!button.disabled) {
    button.focus();
    focusWanted = false;
  } else if (!document.activeElement || document.activeElement === document.body) {
    document.getElementById("title").focus();
  }
}
if (host) {
  document.documentElement.classList.add("embedded");
  window.addEventListener("message", (event) => {
    if (event.origin !== host || event.source !== window.parent) return;
    if (event.data?.type !== "edge-click-to-call:focus") return;
    focusWanted = true;
    if (document.readyState !== "loading") takeFocus();
  });
  // Escape closes the panel from inside it too.
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") window.parent.postMessage({ type: "edge-click-to-call:escape" }, host);
  });
}
const [language, firstConfig] = await Promise.all([
  loadLanguage(candidates(params.get("lang"), navigator.languages)),
  fetchConfig(),
]);
useWords(language.page);
let company = firstConfig?.company_name ?? document.querySelector("[data-company]").textContent;

function applyCompany() {
  applyWords(document, language.lang, { company });
  for (const node of document.querySelectorAll("[data-company]")) node.textContent = company;
  view.setCompany(company);
}

const view = createView(document);
const callback = createCallbackForm(document);
/** Tells the host page's button what the call is doing (only to that origin). */
function report(state) {
  view.render(state);
  // While waiting in line: the visitor may leave a number instead, keeping their place.
  document.getElementById("line-callback").hidden = state.name !== "waiting";
  if (focusWanted) takeFocus();
  if (host) window.parent.postMessage({ type: "edge-click-to-call:state", state: state.name }, host);
}
/** Out of hours: a call goes straight to the voicemail prompt. */
let closedNow = false;
/**
 * The page the visitor calls from: the host page's, in the embed's panel
 * (this page itself says nothing to the agent); and the pre-call form's words.
 */
const callerPage = host ? params.get("page") : null;
function callerContext() {
  const form = !document.getElementById("pre-call").hidden;
  const value = (id) => (form ? document.getElementById(id).value.trim() : "");
  return { page: callerPage, name: value("pre-call-name"), reason: value("pre-call-reason") };
}
const controller = createCallController({
  createClient,
  // The answer webhook speaks the visitor's language, and the agent hears
  // who calls: /auth puts both in the call ticket.
  fetchToken: ({ renew } = {}) => fetchToken(undefined, { lang: language.lang, renew, caller: callerContext() }),
  requestMicrophone,
  // The waiting line: this call's place and the estimated wait, pushed by
  // the call guard (Server-Sent Events); asked every few seconds without.
  followPlace: (user, onPlace, onFailed) => {
    if (!("EventSource" in window)) {
      onFailed();
      return () => {};
    }
    const source = new EventSource(`/line/${encodeURIComponent(user)}`);
    let heard = false;
    source.onmessage = (event) => {
      heard = true;
      onPlace(JSON.parse(event.data));
    };
    // Once heard, EventSource reconnects by itself; never heard: ask instead.
    source.onerror = () => {
      if (heard) return;
      source.close();
      onFailed();
    };
    return () => source.close();
  },
  fetchPlace: (user) =>
    fetch(`/line/${encodeURIComponent(user)}`, { cache: "no-store", headers: { accept: "application/json" } }).then((res) =>
      res.ok ? res.json() : null,
    ),
  isClosed: () => closedNow,
  onChange: report,
});
applyCompany();

view.onPress(() => controller.press());
view.onRetry(() => controller.retry());
view.onMissed(() => callback.offer("offer_missed"));
// "Call me back instead": the request carries the call's user, so the worker
// files it with the call's place in line (ops call those back first); once it
// is taken the call ends, leaving the line.
document.getElementById("line-callback").addEventListener("click", () => {
  const user = controller.state.user;
  callback.offer("offer_line", {
    extra: () => (user ? { user } : {}),
    taken: () => ["waiting", "calling"].includes(controller.state.name) && controller.press(),
  });
  callback.open();
});
window.addEventListener("online", () => controller.retry());

let recheck = null;
/** Opening hours; out of hours, re-checked when the line opens. */
function showHours(config) {
  if (!config) return;
  callback.setLimits(config.callback);
  // PRE_CALL_FORM: a name and a reason, both optional, for the agent's whisper.
  document.getElementById("pre-call").hidden = !config.pre_call_form;
  for (const id of ["pre-call-name", "pre-call-reason"]) document.getElementById(id).maxLength = config.pre_call_max_chars ?? 40;
  if (config.company_name && config.company_name !== company) {
    company = config.company_name;
    applyCompany();
  }
  const hours = { lines: weekLines(config.hours, language.lang), zone: config.timezone };
  closedNow = config.open === false;
  if (config.open === false) {
    view.setClosed({ when: config.next_open ? formatNextOpen(config.next_open, { locale: language.lang }) : null }, hours);
    callback.offer("offer_closed");
    clearTimeout(recheck);
    const wait = msUntil(config.next_open);
    if (wait != null) recheck = setTimeout(async () => showHours(await fetchConfig()), wait);
  } else {
    view.setClosed(null, hours);
  }
}
showHours(firstConfig);

controller.start();
