// The one-line embed with two origins: a host site on one port, the worker
// on another. The button appears (in an open shadow root) on an allowed
// site only; the panel is the worker's page in an iframe; keyboard-only use
// works; a call survives closing the panel; a German browser gets German.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { startWorker } from "../helpers/worker.mjs";
import { launch, openPage, screenshot } from "../helpers/browser.mjs";

/** A host site: its own page, with the snippet. */
async function hostSite(snippet) {
  const server = createServer((req, res) => {
    if (req.url === "/favicon.ico") return res.writeHead(404).end();
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Shop</title><style>body { font-family: Georgia, serif; margin: 2rem; } button { background: hotpink; } div { border: 3px dashed red; }</style></head>
<body><a href="#top" id="first-link">Skip</a><h1>Our shop</h1><p>Products and prices.</p>
${snippet(req.url)}</body></html>`);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return { server, origin, close: () => new Promise((r) => server.close(r)) };
}

let worker;
let browser;
let allowed;
let other;
before(async () => {
  let workerUrl = "";
  const snippet = (path) =>
    path === "/plain"
      ? ""
      : path === "/fr"
      ? `<script src="${workerUrl}/embed.js" async data-lang="fr" data-position="bottom-left"></script>`
      : `<script src="${workerUrl}/embed.js" async data-color="#1f4fd1"></script>`;
  [allowed, other, browser] = await Promise.all([hostSite(snippet), hostSite(snippet), launch()]);
  worker = await startWorker({ vars: { ALLOWED_ORIGINS: allowed.origin, COMPANY_NAME: "Globex" } });
  workerUrl = worker.url;
});
after(async () => {
  await browser?.close();
  await worker?.dispose();
  await allowed?.close();
  await other?.close();
});

const launcher = (page) => page.locator("edge-click-to-call").locator(".launcher");
const panelFrame = (page) => page.frames().find((f) => f.url().startsWith(worker.url));

async function openHost(site, options = {}) {
  const opened = await openPage(browser, site.origin, options);
  const warnings = [];
  opened.page.on("console", (msg) => msg.type() === "warning" && warnings.push(msg.text()));
  await opened.page.goto(site.origin + "/");
  return { ...opened, warnings };
}

describe("on an allowed site", () => {
  for (const width of [375, 1280]) {
    test(`a floating button opens the worker's page as a panel, and closes it (${width} px)`, async () => {
      const { page, context, consoleErrors } = await openHost(allowed, { width, height: 800, locale: "en-US" });
      try {
        await launcher(page).waitFor();
        assert.equal((await launcher(page).textContent()).trim(), "Call us");
        // The host's styles do not reach in (its buttons are hot pink).
        assert.equal(await launcher(page).evaluate((b) => getComputedStyle(b).backgroundColor), "rgb(31, 79, 209)", "data-color");
        const keys = await page.evaluate(() => Object.keys(window));
        const plain = await context.newPage();
        await plain.goto(allowed.origin + "/plain");
        const baseline = new Set(await plain.evaluate(() => Object.keys(window)));
        await plain.close();
        // (__fakeBehaviour is the test's own stand-in for the Vonage SDK.)
        assert.deepEqual(keys.filter((k) => !baseline.has(k) && k !== "__fakeBehaviour"), [], "no globals");
        await screenshot(page, `${width}-embed-1-closed`);

        await launcher(page).click();
        assert.equal(await launcher(page).getAttribute("aria-expanded"), "true");
        const iframe = page.locator("edge-click-to-call").locator("iframe");
        assert.equal(await iframe.getAttribute("allow"), "microphone");
        assert.ok((await iframe.getAttribute("src")).startsWith(`${worker.url}/?embed=1&host=`), "served by the worker");
        const frame = await waitForFrame(page);
        await frame.locator('.status[data-state="ready"]').waitFor();
        assert.equal(await frame.locator("h1").textContent(), "Talk to Globex support");
        assert.equal(await frame.evaluate(() => document.documentElement.classList.contains("embedded")), true);
        await screenshot(page, `${width}-embed-2-open`);

        await page.locator("edge-click-to-call").locator(".close").click();
        assert.equal(await launcher(page).getAttribute("aria-expanded"), "false");
        assert.equal(await page.evaluate(() => document.activeElement.tagName), "EDGE-CLICK-TO-CALL", "focus back on the button");
        assert.deepEqual(consoleErrors, []);
      } finally {
        await context.close();
      }
    });
  }

  test("keyboard only: Tab to the button, Enter opens the panel with focus on Call now, a call survives Escape", async () => {
    const { page, context } = await openHost(allowed, { locale: "en-US" });
    try {
      await launcher(page).waitFor();
      await page.keyboard.press("Tab"); // the host's own link
      await page.keyboard.press("Tab"); // our button
      assert.equal(await launcher(page).evaluate((b) => b.getRootNode().activeElement === b), true);
      await page.keyboard.press("Enter");
      const frame = await waitForFrame(page);
      await frame.locator('.status[data-state="ready"]').waitFor();
      await frame.waitForFunction(() => document.activeElement?.id === "call-button");
      await page.keyboard.press("Enter");
      await frame.waitForFunction(() => window.__fake.log.some(([k]) => k === "serverCall"));
      const [[, context_]] = await frame.evaluate(() => window.__fake.log.filter(([k]) => k === "serverCall"));
      assert.deepEqual(Object.keys(context_), ["ticket"]);
      assert.equal(ticketClaims(context_.ticket).lng, undefined, "English is the default: no language in the ticket");
      // The host page's path travels to the agent's whisper.
      assert.equal(ticketClaims(context_.ticket).ctx, "page=%2F");
      await frame.evaluate(() => window.__fake.emit("legStatusUpdate", "call-1", "leg-1", "ANSWERED"));
      await page.locator("edge-click-to-call").locator(".launcher.live").waitFor();
      assert.equal((await launcher(page).textContent()).trim(), "On a call");

      // Escape inside the panel: the panel asks the host page to close it.
      await page.keyboard.press("Escape");
      await page.locator("edge-click-to-call").locator('.launcher[aria-expanded="false"]').waitFor();
      // The call goes on: the panel is hidden, not gone.
      assert.equal(await frame.locator(".status").getAttribute("data-state"), "in_call");
      assert.equal((await launcher(page).textContent()).trim(), "On a call");
      await screenshot(page, "1280-embed-3-call-with-panel-closed");
      await page.keyboard.press("Enter");
      assert.equal(await launcher(page).getAttribute("aria-expanded"), "true");
      await frame.evaluate(() => window.__fake.emit("callHangup", "call-1", {}, "REMOTE_HANGUP"));
      await page.locator("edge-click-to-call").locator(".launcher:not(.live)").waitFor();
      assert.equal((await launcher(page).textContent()).trim(), "Call us");
    } finally {
      await context.close();
    }
  });

  test("a German browser gets German: the button, the panel, <html lang>, the call's language", async () => {
    const { page, context } = await openHost(allowed, { locale: "de-DE" });
    try {
      await launcher(page).waitFor();
      assert.equal((await launcher(page).textContent()).trim(), "Rufen Sie uns an");
      await launcher(page).click();
      const frame = await waitForFrame(page);
      await frame.locator('.status[data-state="ready"]').waitFor();
      assert.equal(await frame.evaluate(() => document.documentElement.lang), "de");
      assert.equal(await frame.locator("h1").textContent(), "Mit dem Globex-Support sprechen");
      assert.equal(await frame.locator("#status-text").textContent(), "Bereit zum Anrufen.");
      assert.equal((await frame.locator("#call-button").textContent()).trim(), "Jetzt anrufen");
      await frame.locator("#call-button").click();
      await frame.waitForFunction(() => window.__fake.log.some(([k]) => k === "serverCall"));
      const [[, context_]] = await frame.evaluate(() => window.__fake.log.filter(([k]) => k === "serverCall"));
      assert.deepEqual(Object.keys(context_), ["ticket"]);
      assert.equal(ticketClaims(context_.ticket).lng, "de", "the ticket tells the answer webhook to speak German");
      await screenshot(page, "1280-embed-4-german");
    } finally {
      await context.close();
    }
  });

  test("data-lang wins over the browser's languages; data-position places it", async () => {
    const { page, context } = await openPage(browser, allowed.origin, { locale: "de-DE" });
    try {
      await page.goto(allowed.origin + "/fr");
      await launcher(page).waitFor();
      assert.equal((await launcher(page).textContent()).trim(), "Appelez-nous");
      assert.equal(await page.locator("edge-click-to-call").locator(".root").evaluate((r) => r.classList.contains("left")), true);
    } finally {
      await context.close();
    }
  });
});

describe("elsewhere", () => {
  test("a site not in ALLOWED_ORIGINS gets no button, and the console says why", async () => {
    const { page, context, warnings } = await openHost(other);
    try {
      const said = () => warnings.some((w) => w.includes(`${other.origin} may not show this call button: add it to ALLOWED_ORIGINS`));
      for (let i = 0; i < 100 && !said(); i++) await page.waitForTimeout(50);
      assert.ok(said(), warnings.join("\n"));
      assert.equal(await page.locator("edge-click-to-call").count(), 0);
    } finally {
      await context.close();
    }
  });

  test("the browser refuses to frame the panel there (frame-ancestors), and /auth refuses the cross-site call", async () => {
    const res = await fetch(worker.url + "/");
    const csp = res.headers.get("content-security-policy");
    assert.match(csp, new RegExp(`frame-ancestors ${allowed.origin}$`));
    assert.equal(res.headers.get("x-frame-options"), null);

    const { page, context } = await openHost(other);
    const refusals = [];
    page.on("console", (msg) => /frame-ancestors/.test(msg.text()) && refusals.push(msg.text()));
    try {
      await page.evaluate((src) => {
        const frame = document.createElement("iframe");
        frame.src = src;
        document.body.append(frame);
      }, `${worker.url}/?embed=1`);
      for (let i = 0; i < 100 && refusals.length === 0; i++) await page.waitForTimeout(50);
      assert.ok(refusals.length > 0, "Chromium reports the frame-ancestors refusal");
      const status = await page.evaluate((url) => fetch(url).then((r) => r.status, (e) => String(e)), `${worker.url}/auth`);
      assert.match(String(status), /TypeError|403/);
    } finally {
      await context.close();
    }
  });

  test("the allowed site may call /auth across origins: CORS echoes exactly it, with Vary: Origin", async () => {
    const { page, context } = await openHost(allowed);
    try {
      const body = await page.evaluate((url) => fetch(url).then((r) => r.json()), `${worker.url}/auth`);
      assert.equal(typeof body.token, "string");
      const res = await fetch(`${worker.url}/auth`, { headers: { origin: allowed.origin } });
      assert.equal(res.headers.get("access-control-allow-origin"), allowed.origin);
      assert.match(res.headers.get("vary"), /Origin/);
      const elsewhere = await fetch(`${worker.url}/auth`, { headers: { origin: other.origin } });
      assert.equal(elsewhere.status, 403);
      assert.equal(elsewhere.headers.get("access-control-allow-origin"), null);
      const preflight = await fetch(`${worker.url}/auth`, { method: "OPTIONS", headers: { origin: allowed.origin, "access-control-request-method": "GET" } });
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers.get("access-control-allow-origin"), allowed.origin);
    } finally {
      await context.close();
    }
  });
});

/** A call ticket's claims (a JWT's middle part). */
const ticketClaims = (ticket) => JSON.parse(Buffer.from(ticket.split(".")[1], "base64url").toString());

async function waitForFrame(page) {
  for (let i = 0; i < 100; i++) {
    const frame = panelFrame(page);
    if (frame) return frame;
    await page.waitForTimeout(50);
  }
  throw new Error("the panel's frame never loaded");
}
