// Wires the page: the Vonage Client SDK (loaded by the <script> before this
// module), our /auth, the microphone, and the view.
import { createCallController } from "./call-controller.js";
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

view.onPress(() => controller.press());
view.onRetry(() => controller.retry());
window.addEventListener("online", () => controller.retry());

fetch("/config.json", { headers: { accept: "application/json" } })
  .then((res) => (res.ok ? res.json() : null))
  .then((config) => config?.company_name && view.setCompany(config.company_name))
  .catch(() => {});

controller.start();
