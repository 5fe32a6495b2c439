// The ops page in headless Chromium against a worker with calls in its log.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, eventually, OPS_TOKEN } from "../helpers/worker.mjs";
import { launch, openPage, screenshot } from "../helpers/browser.mjs";
import { newCall, callEvents } from "../helpers/scenarios.mjs";

let worker;
let browser;
const calls = [];
const today = new Date().toISOString().slice(0, 10);

before(async () => {
  [worker, browser] = await Promise.all([startWorker(), launch()]);
  const start = Date.now() - 3_600_000;
  for (const [i, scenario] of ["completed", "busy", "unanswered"].entries()) {
    const call = newCall({ scenario, start: start + i * 600_000 });
    calls.push(call);
    for (const body of callEvents(call)) {
      const res = await worker.fetch("/webhooks/event", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      assert.equal(res.status, 200);
    }
  }
  const auth = { authorization: `Bearer ${OPS_TOKEN}` };
  await eventually(async () => (await (await worker.fetch(`/ops/calls?day=${today}`, { headers: auth })).json()).calls?.length === 3);
});
after(async () => {
  await browser?.close();
  await worker?.dispose();
});

for (const width of [375, 1280]) {
  test(`sign in, list today's calls, open one as a timeline (${width} px)`, async () => {
    const { page, context, consoleErrors, foreignRequests } = await openPage(browser, worker.url, { width, fake: false });
    try {
      await page.goto(worker.url + "/ops.html");
      await page.locator("#token").waitFor();
      await screenshot(page, `${width}-ops-1-sign-in`);
      await page.fill("#token", OPS_TOKEN);
      await page.click("#sign-in button[type=submit]");
      await page.locator(".call-list li").nth(2).waitFor();
      assert.equal(await page.locator(".call-list li").count(), 3);
      assert.match(await page.locator("#ops-message").textContent(), /3 calls on/);
      // Newest activity first: the last call placed is on top.
      const first = await page.locator(".call-id").first().textContent();
      assert.equal(first, calls[2].conversation_uuid);
      assert.equal(await page.evaluate(() => sessionStorage.getItem("opsToken")), OPS_TOKEN);
      assert.equal(await page.evaluate(() => localStorage.length), 0, "the token is not kept beyond this tab");
      await screenshot(page, `${width}-ops-2-calls`);

      await page.click(`a[href="#call=${encodeURIComponent(calls[0].conversation_uuid)}"]`);
      await page.locator("#timeline li").nth(5).waitFor();
      const statuses = await page.locator("#timeline .what").allTextContents();
      assert.deepEqual(statuses, callEvents(calls[0]).map((e) => e.status));
      const facts = await page.locator("#call-facts").textContent();
      assert.match(facts, /Duration0:42/);
      assert.match(facts, new RegExp(calls[0].conversation_uuid));
      await screenshot(page, `${width}-ops-3-timeline`);

      await page.click("#sign-out");
      assert.equal(await page.evaluate(() => sessionStorage.getItem("opsToken")), null);
      assert.deepEqual(consoleErrors, []);
      assert.deepEqual(foreignRequests, []);
    } finally {
      await context.close();
    }
  });
}

test("a wrong token is refused and asked for again", async () => {
  const { page, context } = await openPage(browser, worker.url, { fake: false });
  try {
    await page.goto(worker.url + "/ops.html");
    await page.fill("#token", "not-the-ops-token-at-all");
    await page.click("#sign-in button[type=submit]");
    await page.locator('#ops-message[data-kind="error"]').waitFor();
    assert.match(await page.locator("#ops-message").textContent(), /token was refused/);
    assert.equal(await page.locator("#sign-in").isVisible(), true);
    assert.equal(await page.evaluate(() => sessionStorage.getItem("opsToken")), null);
  } finally {
    await context.close();
  }
});
