// The ops page with a voicemail and a callback request, in headless
// Chromium: the day at a glance, the call's path in words, the voicemail
// played through the worker (which fetches it from a local stand-in for
// Vonage's media API), and a callback marked done.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, eventually, OPS_TOKEN } from "../helpers/worker.mjs";
import { mediaApi } from "../helpers/calls.mjs";
import { launch, openPage, screenshot } from "../helpers/browser.mjs";
import { newCall, callEvents } from "../helpers/scenarios.mjs";

const auth = { authorization: `Bearer ${OPS_TOKEN}` };
let worker;
let browser;
let media;
let call;

before(async () => {
  media = await mediaApi();
  const mediaOrigin = media.origin;
  [worker, browser] = await Promise.all([startWorker({ vars: { VONAGE_API_URL: mediaOrigin } }), launch()]);
  // A call out of hours that went to voicemail.
  call = newCall({ scenario: "closed-voicemail", start: Date.now() - 600_000, mediaOrigin });
  for (const event of call.events) {
    const url = event.leg === "record" ? "/webhooks/recording" : "/webhooks/event";
    const res = await worker.fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(event.body) });
    assert.equal(res.status, 200);
  }
  const missed = newCall({ scenario: "unanswered", start: Date.now() - 300_000 });
  for (const body of callEvents(missed)) {
    await worker.fetch("/webhooks/event", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  }
  await eventually(async () => (await (await worker.fetch("/ops/calls", { headers: auth })).json()).calls?.length === 2);
});
after(async () => {
  await browser?.close();
  await worker?.dispose();
  await media?.close();
});

for (const width of [375, 1280]) {
  test(`the day at a glance, a voicemail played, a callback done (${width} px)`, async () => {
    const res = await worker.fetch("/callbacks", {
      method: "POST", headers: { "content-type": "application/json", origin: worker.url },
      body: JSON.stringify({ name: "Grace Hopper", phone: "+1 555 555 0123", note: "Invoice question, mornings please." }),
    });
    assert.equal(res.status, 201);
    const { page, context, consoleErrors, foreignRequests } = await openPage(browser, worker.url, { width, fake: false });
    try {
      await page.goto(worker.url + "/ops.html");
      await page.fill("#token", OPS_TOKEN);
      await page.click("#sign-in button[type=submit]");
      await page.locator('#day-totals li[data-total="callbacks"]').waitFor();
      const totals = Object.fromEntries(
        await page.locator("#day-totals li").evaluateAll((items) => items.map((li) => [li.dataset.total, li.textContent])),
      );
      assert.deepEqual(totals, { missed: "1 missed", voicemails: "1 voicemail", callbacks: "1 callbacks to make", answered: "0 answered" });
      assert.match(await page.locator("#callback-list").textContent(), /Grace Hopper\s*\+15555550123.*Invoice question, mornings please\./s);
      await screenshot(page, `${width}-ops-voicemail-1-day`);

      await page.click(`a[href="#call=${encodeURIComponent(call.conversation_uuid)}"]`);
      await page.locator("#call-path").waitFor();
      assert.equal(await page.locator("#call-path").textContent(), "voicemail 0:41 ▶");
      await page.locator(".play-button").click();
      const audio = page.locator("audio.voicemail-audio");
      await audio.waitFor();
      // The browser decoded the recording the worker streamed: about two seconds of MP3.
      const decoded = await audio.evaluate(async (a) => {
        if (a.readyState < 1) await new Promise((r) => a.addEventListener("loadedmetadata", r, { once: true }));
        return { duration: a.duration, error: a.error?.code ?? null, src: a.src.slice(0, 5) };
      });
      assert.equal(decoded.error, null);
      assert.equal(decoded.src, "blob:");
      assert.ok(decoded.duration > 1.5 && decoded.duration < 2.5, `duration ${decoded.duration}`);
      await screenshot(page, `${width}-ops-voicemail-2-call`);

      await page.click("#back");
      await page.locator("#callback-list li").first().waitFor();
      await page.locator("#callback-list button").first().click();
      await page.locator('#day-totals li[data-total="callbacks"]', { hasText: "0 callbacks to make" }).waitFor();
      assert.equal(await page.locator("#callbacks").isHidden(), true);
      const listed = await (await worker.fetch("/ops/callbacks", { headers: auth })).json();
      assert.equal(listed.open_count, 0);
      assert.equal(listed.done[0].name, "Grace Hopper");
      assert.deepEqual(consoleErrors, []);
      assert.deepEqual(foreignRequests, []);
    } finally {
      await context.close();
    }
  });
}
