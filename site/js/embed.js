// edge click-to-call: a call button for any website, in one line:
//
//   <script src="https://<worker>/embed.js" async
//           data-label="Call us" data-color="#0a6e3a" data-position="bottom-right" data-lang="de"></script>
//
// (data-colour works too.)
//
// It adds a floating button to the page, inside an open shadow root (the
// page's styles do not reach in, ours do not leak out; tests and tools can
// reach it), and defines no globals. Pressing it opens the call panel: the
// worker's own page in an iframe (allow="microphone"), so the token, the
// Vonage SDK and the microphone permission stay on the worker's origin.
// Closing the panel keeps a call going; the button shows it.
// Only sites in the worker's ALLOWED_ORIGINS get a button (the panel's
// frame-ancestors says the same to the browser).
//
// This is the source: scripts/bundle-embed.mjs bundles it with i18n.js (the
// page's own language choice) into /embed.js, one classic script.
import { candidates, fill, loadLanguage } from "./i18n.js";

(() => {
  const script = document.currentScript;
  if (!script?.src) return;
  const worker = new URL(script.src).origin;
  const options = { ...script.dataset };
  const TAG = "[edge click-to-call]";
  const LIVE = new Set(["calling", "waiting", "ringing", "in_call", "voicemail"]);

  const getJson = (path) =>
    fetch(worker + path, { credentials: "omit", headers: { accept: "application/json" } }).then((res) =>
      res.ok ? res.json() : Promise.reject(new Error(`${path}: ${res.status}`)),
    );

  /** The first language with a file: data-lang, the browser's, English. */
  const words = () =>
    loadLanguage(candidates(options.lang, navigator.languages), globalThis.fetch.bind(globalThis), worker);

  const STYLE = `
    :host { all: initial; }
    .root { position: fixed; bottom: 20px; z-index: 2147483000; display: flex; flex-direction: column; gap: 12px;
      font: 16px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1f24; }
    .root.right { right: 20px; align-items: flex-end; }
    .root.left { left: 20px; align-items: flex-start; }
    .launcher { display: inline-flex; align-items: center; gap: 10px; min-height: 52px; padding: 0 22px 0 18px;
      border: 0; border-radius: 999px; background: var(--accent, #0a6e3a); color: #fff; font: inherit; font-weight: 700;
      cursor: pointer; box-shadow: 0 6px 20px rgb(0 0 0 / 0.25); }
    .launcher:focus-visible, .close:focus-visible { outline: 3px solid #1f6feb; outline-offset: 3px; }
    .launcher svg { width: 22px; height: 22px; fill: currentColor; flex: none; }
    .launcher.live { background: #b3261e; }
    .launcher.live .dot { display: inline-block; }
    .dot { display: none; width: 10px; height: 10px; border-radius: 50%; background: #fff; animation: pulse 1.2s ease-in-out infinite; }
    .panel { width: min(380px, calc(100vw - 24px)); height: min(600px, calc(100vh - 110px)); background: #fff;
      border-radius: 16px; overflow: hidden; box-shadow: 0 12px 40px rgb(0 0 0 / 0.3); display: flex; flex-direction: column; }
    .panel.closed { visibility: hidden; height: 0; box-shadow: none; }
    .bar { display: flex; align-items: center; justify-content: space-between; gap: 8px; padding: 8px 8px 8px 16px;
      background: var(--accent, #0a6e3a); color: #fff; font-weight: 700; }
    .close { width: 40px; height: 40px; border: 0; border-radius: 50%; background: transparent; color: inherit;
      font: inherit; font-size: 24px; line-height: 1; cursor: pointer; }
    iframe { flex: 1; width: 100%; border: 0; background: #fff; }
    @keyframes pulse { 50% { opacity: 0.35; } }
    @media (prefers-reduced-motion: reduce) { .dot { animation: none; } }
    @media (max-width: 480px) { .root.right, .root.left { right: 12px; left: 12px; bottom: 12px; } .root { align-items: stretch !important; }
      .panel { width: 100%; } .launcher { align-self: flex-end; } .root.left .launcher { align-self: flex-start; } }
  `;
  const PHONE =
    '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M6.6 10.8a15.1 15.1 0 0 0 6.6 6.6l2.2-2.2a1 1 0 0 1 1-.25 11.4 11.4 0 0 0 3.6.57 1 1 0 0 1 1 1V20a1 1 0 0 1-1 1A17 17 0 0 1 3 4a1 1 0 0 1 1-1h3.5a1 1 0 0 1 1 1c0 1.25.2 2.45.57 3.57a1 1 0 0 1-.25 1z"/></svg>';

  function mount({ lang, page }, config) {
    const t = (key, fallback, vars = {}) => fill(page[key] ?? fallback, vars);
    const company = config.company_name ?? "";
    const host = document.createElement("edge-click-to-call");
    const shadow = host.attachShadow({ mode: "open" });
    const style = document.createElement("style");
    style.textContent = STYLE;
    const root = document.createElement("div");
    root.className = `root ${/left/.test(options.position ?? "") ? "left" : "right"}`;
    const colour = options.color ?? options.colour;
    if (colour && CSS.supports("color", colour)) root.style.setProperty("--accent", colour);
    root.lang = lang;

    const panel = document.createElement("div");
    panel.className = "panel closed";
    panel.id = "panel";
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-label", t("embed.panel", "Call {company}", { company }));
    const bar = document.createElement("div");
    bar.className = "bar";
    const title = document.createElement("span");
    title.textContent = t("embed.panel", "Call {company}", { company });
    const close = document.createElement("button");
    close.type = "button";
    close.className = "close";
    close.textContent = "×";
    close.setAttribute("aria-label", t("embed.close", "Close the call panel"));
    bar.append(title, close);
    panel.append(bar);

    const launcher = document.createElement("button");
    launcher.type = "button";
    launcher.className = "launcher";
    launcher.setAttribute("aria-controls", "panel");
    launcher.setAttribute("aria-expanded", "false");
    launcher.innerHTML = PHONE;
    const dot = document.createElement("span");
    dot.className = "dot";
    dot.setAttribute("aria-hidden", "true");
    const label = document.createElement("span");
    label.className = "label";
    const idle = options.label || t("embed.button", "Call us");
    label.textContent = idle;
    launcher.append(dot, label);
    root.append(panel, launcher);
    shadow.append(style, root);
    document.body.append(host);

    let frame = null;
    const isOpen = () => !panel.classList.contains("closed");

    function open() {
      if (!frame) {
        frame = document.createElement("iframe");
        frame.title = t("embed.panel", "Call {company}", { company });
        frame.allow = "microphone";
        // The host page's path: the agent hears which page the visitor called from.
        const query = new URLSearchParams({ embed: "1", host: location.origin, lang, page: location.pathname });
        frame.src = `${worker}/?${query}`;
        frame.addEventListener("load", () => isOpen() && focusPanel());
        panel.append(frame);
      }
      panel.classList.remove("closed");
      launcher.setAttribute("aria-expanded", "true");
      focusPanel();
    }

    function focusPanel() {
      frame.focus();
      frame.contentWindow?.postMessage({ type: "edge-click-to-call:focus" }, worker);
    }

    function shut() {
      panel.classList.add("closed");
      launcher.setAttribute("aria-expanded", "false");
      launcher.focus();
    }

    launcher.addEventListener("click", () => (isOpen() ? shut() : open()));
    close.addEventListener("click", shut);
    shadow.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && isOpen()) shut();
    });
    window.addEventListener("message", (event) => {
      if (event.origin !== worker || !frame || event.source !== frame.contentWindow) return;
      const { type, state } = event.data ?? {};
      if (type === "edge-click-to-call:escape" && isOpen()) shut();
      if (type !== "edge-click-to-call:state") return;
      const live = LIVE.has(state);
      launcher.classList.toggle("live", live);
      label.textContent = live ? t("embed.in_call", "On a call") : idle;
    });
  }

  async function start() {
    const config = await getJson("/config.json");
    if (!(config.embed_origins ?? []).includes(location.origin)) {
      console.warn(
        `${TAG} ${location.origin} may not show this call button: add it to ALLOWED_ORIGINS on ${worker} (allowed now: ${(config.embed_origins ?? []).join(", ") || "none"}).`,
      );
      return;
    }
    const language = await words();
    if (document.body) mount(language, config);
    else document.addEventListener("DOMContentLoaded", () => mount(language, config), { once: true });
  }

  start().catch((error) => console.warn(`${TAG} the call button could not load from ${worker}: ${error.message}`));
})();
