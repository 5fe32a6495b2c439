// Wires the page: the Vonage Client SDK (loaded by the <script> before this
// module), our /auth, the microphone, and the view.
import { createCallController } from "./call-controller.js";
import { createCallbackForm } from "./callback-form.js";
import { words } from "./messages.js";
import { formatNextOpen, msUntil, weekLines } from "./opening.js";
import { fetchToken } from "./token-client.js";
import { createView } from "./view.js";

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

const view = createView(document);
const controller = createCallController({
  createClient,
  fetchToken: () => fetchToken(),
  requestMicrophone,
  onChange: view.render,
});

const callback = createCallbackForm(document, words);

view.onPress(() => controller.press());
view.onRetry(() => controller.retry());
view.onMissed(() => callback.offer("offer_missed"));
window.addEventListener("online", () => controller.retry());

let recheck = null;
/** Branding and opening hours; out of hours, re-checked when the line opens. */
async function loadConfig() {
  const config = await fetch("/config.json", { headers: { accept: "application/json" } })
    .then((res) => (res.ok ? res.json() : null))
    .catch(() => null);
  if (!config) return;
  if (config.company_name) view.setCompany(config.company_name);
  const hours = { lines: weekLines(config.hours), zone: config.timezone };
  if (config.open === false) {
    view.setClosed({ when: config.next_open ? formatNextOpen(config.next_open) : null }, hours);
    callback.offer("offer_closed");
    clearTimeout(recheck);
    const wait = msUntil(config.next_open);
    if (wait != null) recheck = setTimeout(loadConfig, wait);
  } else {
    view.setClosed(null, hours);
  }
}
loadConfig();

controller.start();
