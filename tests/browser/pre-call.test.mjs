// The pre-call form (PRE_CALL_FORM=true), in headless Chromium against the
// worker in workerd: the visitor may give a name and what the call is about
// (both optional); they travel with the page's path in the call ticket, and
// the agent hears them on answering. axe-core checks the form.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { startWorker } from "../helpers/worker.mjs";
import { launch, openPage, screenshot } from "../helpers/browser.mjs";
import { answerCall } from "../helpers/calls.mjs";

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

let worker;
let browser;
before(async () => {
  [worker, browser] = await Promise.all([startWorker({ vars: { PRE_CALL_FORM: "true" } }), launch()]);
});
after(async () => {
  await browser?.close();
  await worker?.dispose();
});

for (const width of [375, 1280]) {
  test(`a name and a reason, optional, reach the agent's whisper with the page (${width} px)`, async () => {
    const { page, context, consoleErrors } = await openPage(browser, worker.url, { width });
    try {
      const auth = [];
      page.on("request", (req) => new URL(req.url()).pathname === "/auth" && auth.push(new URL(req.url())));
      await page.goto(worker.url + "/");
      await page.locator('.status[data-state="ready"]').waitFor();
      await page.locator("#pre-call:not([hidden])").waitFor();
      assert.equal(await page.locator("#pre-call").getByLabel("Your name (optional)").getAttribute("maxlength"), "40");
      await page.locator("#pre-call").getByLabel("Your name (optional)").fill("Anna");
      await page.locator("#pre-call").getByLabel("What is it about? (optional)").fill("billing");
      await page.evaluate(axeSource);
      const { violations } = await page.evaluate(() => window.axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] }));
      assert.deepEqual(violations.map((v) => v.id), []);
      await screenshot(page, `${width}-pre-call-form`);

      await page.locator("#call-button").click();
      await page.waitForFunction(() => window.__fake.log.some(([k]) => k === "serverCall"));
      assert.equal(auth.length, 1);
      assert.equal(auth[0].searchParams.get("name"), "Anna");
      assert.equal(auth[0].searchParams.get("reason"), "billing");
      assert.equal(auth[0].searchParams.get("page"), null, "the worker's own page is no page of the site");
      // Vonage answers the call with the page's ticket: the agent hears who calls.
      const [[, context_]] = await page.evaluate(() => window.__fake.log.filter(([k]) => k === "serverCall"));
      const { ncco, leg, conversation } = await answerCall(worker, { ticket: context_.ticket });
      const url = new URL(ncco.find((a) => a.action === "connect").endpoint[0].onAnswer.url);
      const whisper = await (await worker.fetch(url.pathname + url.search)).json();
      assert.equal(whisper[0].text, "Web call from Anna, about billing.");
      assert.deepEqual(consoleErrors, []);
      // The call ends; its line frees.
      await page.evaluate(() => window.__fake.emit("callHangup", "call-1", {}, "REMOTE_HANGUP"));
      const completed = { uuid: leg, conversation_uuid: conversation, status: "completed", direction: "inbound", timestamp: new Date().toISOString() };
      await worker.fetch("/webhooks/event", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(completed) });
    } finally {
      await context.close();
    }
  });
}
