// The click-to-call page in headless Chromium against the worker in workerd.
// Most tests swap the Vonage SDK file for tests/browser/fake-vonage-sdk.js
// and drive it; one loads the real SDK.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { startWorker } from "../helpers/worker.mjs";
import { launch, openPage, screenshot } from "../helpers/browser.mjs";

let worker;
let browser;
before(async () => {
  [worker, browser] = await Promise.all([startWorker({ vars: { COMPANY_NAME: "Globex" } }), launch()]);
});
after(async () => {
  await browser?.close();
  await worker?.dispose();
});

const status = (page) => page.locator("#status-text");
const detail = (page) => page.locator("#status-detail");
const button = (page) => page.locator("#call-button");
const state = (page) => page.locator(".status").getAttribute("data-state");
const fakeLog = (page, name) => page.evaluate((n) => window.__fake.log.filter(([k]) => k === n), name);

async function waitForState(page, name, timeout = 5000) {
  await page.locator(`.status[data-state="${name}"]`).waitFor({ timeout });
}

async function ready(options = {}) {
  const opened = await openPage(browser, worker.url, options);
  await opened.page.goto(worker.url + "/");
  await waitForState(opened.page, "ready");
  return opened;
}

describe("loading", () => {
  test("the page loads with no console errors and no request to any other origin", async () => {
    const { page, context, consoleErrors, foreignRequests } = await ready();
    try {
      assert.equal(await status(page).textContent(), "Ready to call.");
      assert.equal(await button(page).isEnabled(), true);
      assert.equal((await button(page).textContent()).trim(), "Call now");
      assert.deepEqual(consoleErrors, []);
      assert.deepEqual(foreignRequests, []);
    } finally {
      await context.close();
    }
  });

  test("the page is served with a Content-Security-Policy and safe headers", async () => {
    const res = await fetch(worker.url + "/");
    const csp = res.headers.get("content-security-policy");
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /connect-src 'self' https:\/\/\*\.vonage\.com wss:\/\/\*\.vonage\.com/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    assert.equal(res.headers.get("referrer-policy"), "strict-origin-when-cross-origin");
  });

  test("branding follows the worker's COMPANY_NAME", async () => {
    const { page, context } = await ready();
    try {
      assert.equal(await page.locator("h1").textContent(), "Talk to Globex support");
      assert.equal(await page.title(), "Call Globex support");
    } finally {
      await context.close();
    }
  });
});

describe("a call", () => {
  for (const width of [375, 1280]) {
    test(`ready → calling → ringing → in call → far-end hangup → ready (${width} px)`, async () => {
      const { page, context, consoleErrors } = await ready({ width, clock: true });
      try {
        await screenshot(page, `${width}-1-ready`);
        await button(page).click();
        await page.waitForFunction(() => window.__fake.log.some(([k]) => k === "serverCall"));
        assert.equal(await state(page), "calling");
        assert.equal(await status(page).textContent(), "Calling…");
        assert.equal((await button(page).textContent()).trim(), "Hang up");
        await screenshot(page, `${width}-2-calling`);
        const [[, context_]] = await fakeLog(page, "serverCall");
        assert.deepEqual(Object.keys(context_), ["ticket"], "the call carries its ticket, and only that");
        assert.match(context_.ticket, /^[\w-]+\.[\w-]+\.[\w-]+$/);

        await page.evaluate(() => window.__fake.emit("legStatusUpdate", "call-1", "leg-1", "RINGING"));
        await waitForState(page, "ringing");
        assert.equal(await status(page).textContent(), "Ringing…");
        await screenshot(page, `${width}-3-ringing`);

        await page.evaluate(() => window.__fake.emit("legStatusUpdate", "call-1", "leg-1", "ANSWERED"));
        await waitForState(page, "in_call");
        assert.equal(await status(page).textContent(), "In call.");
        assert.equal(await page.locator("#timer").textContent(), "0:00");
        await page.clock.runFor(65_000);
        assert.equal(await page.locator("#timer").textContent(), "1:05", "the timer runs");
        assert.ok(await page.evaluate((w) => document.documentElement.scrollWidth <= w, width), "no horizontal scrolling");
        assert.equal(
          await page.locator(".indicator").evaluate((el) => getComputedStyle(el).animationName),
          "none",
          "reduced motion: the pulsing indicator stands still",
        );
        await screenshot(page, `${width}-4-in-call`);

        await page.evaluate(() => window.__fake.emit("callHangup", "call-1", {}, "REMOTE_HANGUP"));
        await waitForState(page, "ended");
        assert.equal(await detail(page).textContent(), "Support hung up.");
        assert.equal(await button(page).isEnabled(), true);
        await screenshot(page, `${width}-5-ended`);

        await page.clock.runFor(5000);
        await waitForState(page, "ready");
        assert.equal(await page.locator("#last-call").textContent(), "Last call: 1:05. Support hung up.");
        await screenshot(page, `${width}-6-ready-again`);
        assert.deepEqual(consoleErrors, []);
      } finally {
        await context.close();
      }
    });
  }

  test("hanging up locally ends the call and tells Vonage", async () => {
    const { page, context } = await ready();
    try {
      await button(page).click();
      await page.waitForFunction(() => window.__fake.calls === 1);
      await page.evaluate(() => window.__fake.emit("legStatusUpdate", "call-1", "leg-1", "ANSWERED"));
      await waitForState(page, "in_call");
      await page.waitForTimeout(700); // past the double-click guard
      await button(page).click();
      await waitForState(page, "ended");
      assert.equal(await detail(page).textContent(), "You hung up.");
      assert.deepEqual(await fakeLog(page, "hangup"), [["hangup", "call-1"]]);
      // Vonage's own hangup event for our call changes nothing now.
      await page.evaluate(() => window.__fake.emit("callHangup", "call-1", {}, "LOCAL_HANGUP"));
      assert.equal(await state(page), "ended");
    } finally {
      await context.close();
    }
  });

  test("a double click starts one call, not two", async () => {
    const { page, context } = await ready();
    try {
      await button(page).dblclick();
      await page.waitForFunction(() => window.__fake.calls === 1);
      await page.waitForTimeout(300);
      assert.equal((await fakeLog(page, "serverCall")).length, 1);
      assert.deepEqual(await fakeLog(page, "hangup"), [], "the second click did not hang up");
      assert.equal(await state(page), "calling");
    } finally {
      await context.close();
    }
  });

  test("works with the keyboard only", async () => {
    const { page, context } = await ready();
    try {
      await page.keyboard.press("Tab");
      assert.equal(await page.evaluate(() => document.activeElement.id), "call-button");
      await page.keyboard.press("Enter");
      await page.waitForFunction(() => window.__fake.calls === 1);
      assert.equal(await page.evaluate(() => document.activeElement.id), "call-button", "focus stays on the button");
      assert.equal(await page.locator("#status-text").getAttribute("aria-live"), "polite");
    } finally {
      await context.close();
    }
  });

  test("a Vonage error placing the call is shown with its type", async () => {
    const { page, context } = await ready({ behaviour: { serverCallError: "conversation:error:not-found" } });
    try {
      await button(page).click();
      await waitForState(page, "error");
      assert.equal(await status(page).textContent(), "The call could not be placed.");
      assert.match(await detail(page).textContent(), /\(Vonage: CS_ERROR, conversation:error:not-found\)/);
      assert.equal(await button(page).isEnabled(), true, "the visitor can try again");
      await screenshot(page, "1280-error-call-failed");
    } finally {
      await context.close();
    }
  });
});

describe("call tickets", () => {
  test("the first call uses the login's ticket; the next one a new token's", async () => {
    const { page, context } = await ready();
    const auths = [];
    page.on("response", async (res) => res.url().endsWith("/auth") && auths.push((await res.json()).ticket));
    try {
      await button(page).click();
      await page.waitForFunction(() => window.__fake.calls === 1);
      await page.evaluate(() => window.__fake.emit("callHangup", "call-1", {}, "REMOTE_HANGUP"));
      await waitForState(page, "ended");
      await page.waitForTimeout(700); // past the double-click guard
      await button(page).click();
      await page.waitForFunction(() => window.__fake.calls === 2);
      const tickets = (await fakeLog(page, "serverCall")).map(([, c]) => c.ticket);
      assert.notEqual(tickets[0], tickets[1], "a ticket admits one call");
      assert.equal(auths.length, 1, "one more /auth, for the second call");
      assert.equal(tickets[1], auths[0]);
      assert.equal((await fakeLog(page, "refreshSession")).length, 1, "the session moved onto the new token");
    } finally {
      await context.close();
    }
  });
});

describe("how a call ended, in the visitor's words", () => {
  // What the Client SDK reports (legStatusUpdate, then callHangup's reason)
  // for each way a call ends; the ops status for the same call in brackets.
  for (const [what, legs, reason, words] of [
    ["busy (ops: busy)", [], "REMOTE_HANGUP", "The line was busy."],
    ["rang out (ops: unanswered)", ["RINGING"], "REMOTE_HANGUP", "No one answered."],
    ["no answer before the SDK's timeout (ops: timeout)", ["RINGING"], "REMOTE_NO_ANSWER_TIMEOUT", "No one answered."],
    ["declined (ops: rejected)", ["RINGING"], "REMOTE_REJECT", "Support declined the call."],
    ["support hung up (ops: completed)", ["RINGING", "ANSWERED"], "REMOTE_HANGUP", "Support hung up."],
    ["the network dropped (ops: completed)", ["ANSWERED"], "MEDIA_TIMEOUT", "The connection was lost."],
  ]) {
    test(what, async () => {
      const { page, context } = await ready();
      try {
        await button(page).click();
        await page.waitForFunction(() => window.__fake.calls === 1);
        for (const leg of legs) await page.evaluate((s) => window.__fake.emit("legStatusUpdate", "call-1", "leg-2", s), leg);
        await page.evaluate((r) => window.__fake.emit("callHangup", "call-1", {}, r), reason);
        await waitForState(page, "ended");
        assert.equal(await detail(page).textContent(), words);
      } finally {
        await context.close();
      }
    });
  }
});

describe("failures", () => {
  test("no microphone permission says how to allow it", async () => {
    const opened = await openPage(browser, worker.url, { width: 375 });
    const { page, context } = opened;
    try {
      await page.addInitScript(() => {
        navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException("Permission denied", "NotAllowedError"));
      });
      await page.goto(worker.url + "/");
      await waitForState(page, "ready");
      await button(page).click();
      await waitForState(page, "error");
      assert.equal(await status(page).textContent(), "Microphone access is blocked.");
      assert.match(await detail(page).textContent(), /Allow the microphone/);
      assert.equal(await button(page).isEnabled(), true);
      assert.deepEqual(await fakeLog(page, "serverCall"), [], "no call without a microphone");
      await screenshot(page, "375-error-microphone");
    } finally {
      await context.close();
    }
  });

  for (const [code, statusCode, words] of [
    ["refused", 403, "This page is not allowed to place calls."],
    ["rate limited", 429, "Too many attempts."],
  ]) {
    test(`a token ${code} by /auth is explained and the button stays off`, async () => {
      const { page, context } = await openPage(browser, worker.url);
      try {
        await page.route("**/auth", (route) =>
          route.fulfill({ status: statusCode, contentType: "application/json", headers: { "retry-after": "60" }, body: '{"error":{"code":"x","message":"x"}}' }),
        );
        await page.goto(worker.url + "/");
        await waitForState(page, "error");
        assert.equal(await status(page).textContent(), words);
        assert.equal(await button(page).isDisabled(), true);
        assert.equal(await page.locator("#retry-button").isVisible(), true);
        await screenshot(page, `1280-error-token-${statusCode}`);
      } finally {
        await context.close();
      }
    });
  }

  test("a worker that is not configured: the page says calling is unavailable", async () => {
    const bare = await startWorker({ vars: { VONAGE_PRIVATE_KEY: undefined } });
    const { page, context } = await openPage(browser, bare.url);
    try {
      await page.goto(bare.url + "/");
      await waitForState(page, "error");
      assert.equal(await status(page).textContent(), "Calling is not available right now.");
      assert.equal(await button(page).isDisabled(), true);
    } finally {
      await context.close();
      await bare.dispose();
    }
  });

  test("network down: the page says so, and recovers when the network is back", async () => {
    const { page, context } = await openPage(browser, worker.url);
    try {
      await page.route("**/auth", (route) => route.abort("internetdisconnected"));
      await page.goto(worker.url + "/");
      await waitForState(page, "error");
      assert.equal(await status(page).textContent(), "You seem to be offline.");
      await screenshot(page, "1280-error-offline");
      await page.unroute("**/auth");
      await page.evaluate(() => window.dispatchEvent(new Event("online")));
      await waitForState(page, "ready");
    } finally {
      await context.close();
    }
  });

  test("a session that cannot be created is retried and recovers", async () => {
    const { page, context } = await openPage(browser, worker.url, { behaviour: { createSessionFailures: 1 } });
    try {
      await page.goto(worker.url + "/");
      await waitForState(page, "error");
      assert.equal(await status(page).textContent(), "We cannot reach the calling service.");
      assert.match(await detail(page).textContent(), /SESSION_ERROR, session:error:timeout/);
      await waitForState(page, "ready", 5000);
      assert.equal((await fakeLog(page, "createSession")).length, 2);
    } finally {
      await context.close();
    }
  });
});

describe("the session", () => {
  test("a session error fetches a new token and logs in again", async () => {
    const { page, context } = await ready();
    const tokens = [];
    page.on("response", async (res) => res.url().endsWith("/auth") && tokens.push((await res.json()).token));
    try {
      await page.evaluate(() => window.__fake.emit("sessionError", "EXPIRED_TOKEN"));
      await waitForState(page, "ready");
      const sessions = await fakeLog(page, "createSession");
      assert.equal(sessions.length, 2);
      assert.notEqual(sessions[0][1], sessions[1][1], "a new token");
      assert.equal(tokens.at(-1), sessions[1][1]);
    } finally {
      await context.close();
    }
  });

  test("a session error during a call ends the call and reconnects", async () => {
    const { page, context } = await ready();
    try {
      await button(page).click();
      await page.waitForFunction(() => window.__fake.calls === 1);
      await page.evaluate(() => window.__fake.emit("sessionError", "TRANSPORT_CLOSED"));
      await waitForState(page, "ready");
      assert.equal(await page.locator("#last-call").textContent(), "Last call: The connection was lost.");
    } finally {
      await context.close();
    }
  });

  test("the session is refreshed with a new token before it expires", async () => {
    const { page, context } = await ready({ clock: true });
    try {
      assert.deepEqual(await fakeLog(page, "refreshSession"), []);
      await page.clock.runFor(14 * 60 * 1000 + 5000);
      await page.waitForFunction(() => window.__fake.log.some(([k]) => k === "refreshSession"));
      const [[, token]] = await fakeLog(page, "refreshSession");
      const [[, first]] = await fakeLog(page, "createSession");
      assert.notEqual(token, first);
      assert.equal(await state(page), "ready");
    } finally {
      await context.close();
    }
  });
});

describe("the real Vonage Client SDK", () => {
  test("is served from our origin, loads, constructs a VonageClient, and without Vonage the page shows an error", async () => {
    const { page, context, consoleErrors } = await openPage(browser, worker.url, { fake: false });
    const sdkResponses = [];
    page.on("response", (res) => res.url().includes("/vendor/") && sdkResponses.push(res));
    try {
      await page.goto(worker.url + "/");
      assert.equal(sdkResponses.length, 1);
      assert.equal(sdkResponses[0].status(), 200);
      assert.match(sdkResponses[0].headers()["cache-control"], /immutable/);
      assert.equal(await page.evaluate(() => typeof window.vonageClientSDK?.VonageClient), "function");
      assert.equal(await page.evaluate(() => typeof new window.vonageClientSDK.VonageClient().createSession), "function");
      // No network to Vonage here: the session attempt fails and the page says so.
      await waitForState(page, "error", 30_000);
      assert.equal(await status(page).textContent(), "We cannot reach the calling service.");
      await screenshot(page, "1280-real-sdk-no-network");
      assert.ok(!consoleErrors.some((e) => /Content Security Policy/.test(e)), consoleErrors.join("\n"));
    } finally {
      await context.close();
    }
  });
});
