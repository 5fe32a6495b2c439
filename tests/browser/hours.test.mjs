// Out of hours and after no answer, in headless Chromium against the worker
// in workerd: the closed page with the next opening in the visitor's own
// time zone, voicemail instead of a dead button, and the callback form.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { startWorker, OPS_TOKEN } from "../helpers/worker.mjs";
import { launch, openPage, screenshot } from "../helpers/browser.mjs";

const ZONE = "Europe/Berlin";
const VISITOR_ZONE = "America/Los_Angeles";
// Closed today and the next three days (in the company's zone), open 09:30–17:00 otherwise.
const closedDays = [0, 1, 2].map((d) =>
  new Intl.DateTimeFormat("en-CA", { timeZone: ZONE }).format(new Date(Date.now() + d * 86_400_000)),
);

let closed;
let open;
let browser;
before(async () => {
  [closed, open, browser] = await Promise.all([
    startWorker({ vars: { OPENING_HOURS: "Mon-Fri 09:30-17:00, Sat 10:00-14:00", TIMEZONE: ZONE, CLOSED_DATES: closedDays.join(",") } }),
    startWorker(),
    launch(),
  ]);
});
after(async () => {
  await browser?.close();
  await closed?.dispose();
  await open?.dispose();
});

async function ready(worker, options = {}) {
  const opened = await openPage(browser, worker.url, options);
  await opened.page.goto(worker.url + "/");
  await opened.page.locator('.status[data-state="ready"]').waitFor();
  return opened;
}

describe("out of hours", () => {
  for (const width of [375, 1280]) {
    test(`says when the line opens, in the visitor's own time zone, and offers voicemail and a callback (${width} px)`, async () => {
      const { page, context, consoleErrors } = await ready(closed, { width, timezoneId: VISITOR_ZONE });
      try {
        await page.locator('.status[data-closed="true"]').waitFor();
        const config = await (await fetch(`${closed.url}/config.json`)).json();
        // What the visitor's browser itself says the instant is, in their zone.
        const expected = new Intl.DateTimeFormat("en", {
          weekday: "long", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit", timeZoneName: "short", timeZone: VISITOR_ZONE,
        }).format(new Date(config.next_open));
        assert.equal(await page.locator("#status-text").textContent(), "We are closed right now.");
        const detail = await page.locator("#status-detail").textContent();
        assert.ok(detail.includes(`We open again ${expected} (your time).`), detail);
        assert.match(expected, /PST|PDT|GMT-[78]/, "the visitor's zone, not the company's");
        assert.equal((await page.locator("#call-button").textContent()).trim(), "Leave a voicemail");
        assert.equal(await page.locator("#call-button").isEnabled(), true, "not a dead button");
        assert.deepEqual(await page.locator("#hours-list li").allTextContents(), ["Mon–Fri09:30–17:00", "Sat10:00–14:00"]);
        assert.equal(await page.locator("#hours-zone").textContent(), "Times in Europe/Berlin.");
        assert.equal(await page.locator("#callback-reason").textContent(), "Leave your number and we will call you back when we are open.");
        assert.ok(await page.evaluate((w) => document.documentElement.scrollWidth <= w, width), "no horizontal scrolling");
        await screenshot(page, `${width}-closed`);

        // The voicemail call is placed like any call (the worker's NCCO records it).
        await page.locator("#call-button").click();
        await page.waitForFunction(() => window.__fake.log.some(([k]) => k === "serverCall"));
        assert.equal((await page.locator("#call-button").textContent()).trim(), "Hang up");
        assert.deepEqual(consoleErrors, []);
      } finally {
        await context.close();
      }
    });
  }

  test("the callback form checks its fields, then files the request for ops (375 and 1280 px)", async () => {
    for (const width of [375, 1280]) {
      const { page, context, consoleErrors } = await ready(closed, { width });
      try {
        await page.locator("#callback-toggle").click();
        assert.equal(await page.locator("#callback-toggle").getAttribute("aria-expanded"), "true");
        assert.equal(await page.evaluate(() => document.activeElement.id), "callback-name", "focus moves into the form");
        await page.locator("#callback-phone").fill("07700 900123");
        await page.locator("#callback-submit").click();
        assert.equal(await page.locator("#callback-name-error").textContent(), "Please enter your name.");
        assert.equal(await page.locator("#callback-phone-error").textContent(), "Enter your number with its country code, for example +44 7700 900123.");
        assert.equal(await page.locator("#callback-phone").getAttribute("aria-invalid"), "true");
        await screenshot(page, `${width}-callback-form-errors`);

        // Keyboard only from here.
        await page.locator("#callback-name").focus();
        await page.keyboard.type(`Ada ${width}`);
        await page.keyboard.press("Tab");
        await page.keyboard.press("ControlOrMeta+a");
        await page.keyboard.type("+44 7700 900123");
        await page.keyboard.press("Tab");
        await page.keyboard.type("About order 1234");
        await screenshot(page, `${width}-callback-form`);
        await page.keyboard.press("Tab");
        await page.keyboard.press("Enter");
        await page.locator('#callback-status[data-kind="ok"]').waitFor();
        assert.equal(await page.locator("#callback-status").textContent(), "Thank you. We will call you back at +447700900123.");
        assert.equal(await page.locator("#callback-form").isHidden(), true);
        await screenshot(page, `${width}-callback-taken`);

        const listed = await (await fetch(`${closed.url}/ops/callbacks`, { headers: { authorization: `Bearer ${OPS_TOKEN}` } })).json();
        const mine = listed.open.find((c) => c.name === `Ada ${width}`);
        assert.deepEqual({ phone: mine.phone, note: mine.note }, { phone: "+447700900123", note: "About order 1234" });
        assert.deepEqual(consoleErrors, []);
      } finally {
        await context.close();
      }
    }
  });
});

describe("open", () => {
  test("no hours configured: no closed state, no hours, no callback offer until a call is missed", async () => {
    const { page, context } = await ready(open);
    try {
      assert.equal(await page.locator("#status-text").textContent(), "Ready to call.");
      assert.equal((await page.locator("#call-button").textContent()).trim(), "Call now");
      assert.equal(await page.locator("#hours").isHidden(), true);
      assert.equal(await page.locator("#callback-offer").isHidden(), true);

      await page.locator("#call-button").click();
      await page.waitForFunction(() => window.__fake.log.some(([k]) => k === "serverCall"));
      await page.evaluate(() => window.__fake.emit("legStatusUpdate", "call-1", "leg-1", "RINGING"));
      await page.evaluate(() => window.__fake.emit("callHangup", "call-1", {}, "REMOTE_NO_ANSWER_TIMEOUT"));
      await page.locator('.status[data-state="ended"]').waitFor();
      assert.equal(await page.locator("#callback-offer").isVisible(), true);
      assert.equal(await page.locator("#callback-reason").textContent(), "No one could take your call. Leave your number and we will call you back.");
      await screenshot(page, "1280-missed-callback-offer");
    } finally {
      await context.close();
    }
  });
});
