// The waiting line on the page, in headless Chromium against the worker in
// workerd: with every line busy the visitor's call waits in the guard's
// line, and the page shows its place and the estimated wait, follows the
// line as the guard pushes it (Server-Sent Events), and goes on to ringing
// once the call is put through.
// axe-core checks the waiting state for accessibility problems.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { randomUUID } from "node:crypto";
import { startWorker, eventually, OPS_TOKEN } from "../helpers/worker.mjs";
import { launch, openPage, screenshot } from "../helpers/browser.mjs";
import { answerCall, ticketFrom } from "../helpers/calls.mjs";

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

let worker;
let browser;
before(async () => {
  [worker, browser] = await Promise.all([startWorker({ vars: { MAX_CONCURRENT_CALLS: "1", MAX_QUEUE: "5" } }), launch()]);
});
after(async () => {
  await browser?.close();
  await worker?.dispose();
});

const status = (page) => page.locator("#status-text").textContent();
const detail = (page) => page.locator("#status-detail").textContent();

async function hangUp({ leg, conversation }) {
  const completed = { uuid: leg, conversation_uuid: conversation, status: "completed", direction: "inbound", timestamp: new Date().toISOString() };
  const res = await worker.fetch("/webhooks/event", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(completed) });
  assert.equal(res.status, 200);
}

/** axe-core's violations on the page as it is now (WCAG 2.1 A and AA). */
async function axeViolations(page) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] }));
  return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

/**
 * One call holds the only line and another waits; then the visitor's page
 * calls, and Vonage asks the answer webhook with the page's ticket: the
 * call waits, second in line, and the page says so (pushed by the call
 * guard: the page's clock is installed and never run, so no poll is due).
 */
async function secondInLine(options) {
  const holder = await answerCall(worker, { ticket: await ticketFrom(worker) });
  assert.ok(holder.ncco.some((a) => a.action === "connect"));
  const ahead = await answerCall(worker, { ticket: await ticketFrom(worker) });
  assert.match(ahead.ncco[0].text, /number 1 in line/);
  const opened = await openPage(browser, worker.url, { ...options, clock: true });
  const { page } = opened;
  await page.goto(worker.url + "/");
  await page.locator('.status[data-state="ready"]').waitFor();
  await page.locator("#call-button").click();
  await page.waitForFunction(() => window.__fake.log.some(([k]) => k === "serverCall"));
  const [[, context_]] = await page.evaluate(() => window.__fake.log.filter(([k]) => k === "serverCall"));
  const mine = await answerCall(worker, { ticket: context_.ticket, leg: randomUUID() });
  assert.match(mine.ncco[0].text, /number 2 in line/);
  await page.locator('.status[data-state="waiting"]').waitFor();
  return { ...opened, holder, ahead, mine };
}

for (const width of [375, 1280]) {
  test(`every line busy: the page shows its place and wait, follows the line, then rings (${width} px)`, async () => {
    const { page, context, consoleErrors, holder, ahead, mine } = await secondInLine({ width });
    try {
      assert.equal(await status(page), "You are number 2 in line.");
      // The estimate: the usual call length (3 min) before any call ended here, then the last calls' average.
      assert.match(await detail(page), /^About (\d+ minutes|a minute)\. Music plays while you wait/);
      assert.equal((await page.locator("#call-button").textContent()).trim(), "Hang up");
      assert.ok(await page.evaluate((w) => document.documentElement.scrollWidth <= w, width), "no horizontal scrolling");
      assert.deepEqual(await axeViolations(page), []);
      await screenshot(page, `${width}-waiting-1-second-in-line`);

      // Ops see the same line on their page ("Now"): one line in use, two waiting.
      const ops = await context.newPage();
      await ops.goto(worker.url + "/ops.html");
      await ops.fill("#token", OPS_TOKEN);
      await ops.click("#sign-in button[type=submit]");
      await ops.locator("#line:not([hidden])").waitFor();
      assert.match(await ops.locator("#line-summary").textContent(), /^1 of 1 line in use; 2 waiting, the longest for \d+:\d\d\.$/);
      assert.equal(await ops.locator("#line-list li").count(), 2);
      assert.match(await ops.locator("#line-list li").nth(1).textContent(), new RegExp(mine.leg));
      assert.deepEqual(await axeViolations(ops), []);
      await screenshot(ops, `${width}-waiting-ops-now`);
      await ops.close();

      // The caller ahead hangs up: the page moves up, pushed.
      await hangUp(ahead);
      await page.locator("#status-text", { hasText: "You are number 1 in line." }).waitFor();
      await screenshot(page, `${width}-waiting-2-next`);

      // The line frees: the guard transfers the call, the page's phone rings.
      await hangUp(holder);
      await eventually(() => worker.vonage.transfers.find((t) => t.leg === mine.leg), { what: "the transfer" });
      await page.locator('.status[data-state="calling"]').waitFor();
      await page.evaluate(() => window.__fake.emit("legStatusUpdate", "call-1", "leg-1", "RINGING"));
      await page.locator('.status[data-state="ringing"]').waitFor();
      assert.deepEqual(consoleErrors, []);
      // The visitor's call ends; so does this test's (its line frees).
      await page.evaluate(() => window.__fake.emit("callHangup", "call-1", {}, "REMOTE_HANGUP"));
      await hangUp(mine);
    } finally {
      await context.close();
    }
  });
}

test("\"Call me back instead\": the place becomes a callback request ops see first, and the call leaves the line (375 px)", async () => {
  const { page, context, consoleErrors, holder, ahead, mine } = await secondInLine({ width: 375 });
  try {

    await page.getByRole("button", { name: "Call me back instead" }).click();
    assert.match(await page.locator("#callback-reason").textContent(), /you keep your place/);
    await page.locator("#callback-name").fill("Grace");
    await page.locator("#callback-phone").fill("+1 555 555 0123");
    assert.deepEqual(await axeViolations(page), []);
    await screenshot(page, "375-waiting-3-call-me-back");
    await page.locator("#callback-submit").click();
    await page.locator('#callback-status[data-kind="ok"]').waitFor();
    // The call ends (the page hangs up), so the call leaves the line at once.
    await page.waitForFunction(() => window.__fake.log.some(([k]) => k === "hangup"));
    await page.locator('.status[data-state="ended"]').waitFor();
    await hangUp(mine);

    const ops = { authorization: `Bearer ${OPS_TOKEN}` };
    const callbacks = await (await worker.fetch("/ops/callbacks", { headers: ops })).json();
    assert.equal(callbacks.open[0].name, "Grace", "first to call back");
    assert.equal(callbacks.open[0].line_place, 2);
    const line = await (await worker.fetch("/ops/line", { headers: ops })).json();
    assert.ok(!line.waiting.some((w) => w.leg === mine.leg), "out of the line");
    assert.deepEqual(consoleErrors, []);
    await hangUp(ahead);
    await hangUp(holder);
  } finally {
    await context.close();
  }
});
