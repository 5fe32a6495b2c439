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

describe("a Vonage user per call", () => {
  test("nothing is asked of /auth until Call is pressed; each call gets its own user, ticket and session, closed when it ends", async () => {
    const opened = await openPage(browser, worker.url);
    const { page, context } = opened;
    const auths = [];
    page.on("response", async (res) => res.url().endsWith("/auth") && auths.push(await res.json()));
    try {
      await page.goto(worker.url + "/");
      await waitForState(page, "ready");
      await page.waitForTimeout(300);
      assert.equal(auths.length, 0, "no token on page load");
      assert.deepEqual(await fakeLog(page, "createSession"), []);
      for (const n of [1, 2]) {
        await button(page).click();
        await page.waitForFunction((c) => window.__fake.calls === c, n);
        await page.evaluate((c) => window.__fake.emit("callHangup", `call-${c}`, {}, "REMOTE_HANGUP"), n);
        await waitForState(page, "ended");
        await page.waitForTimeout(700); // past the double-click guard
      }
      assert.equal(auths.length, 2, "one /auth per call");
      assert.notEqual(auths[0].user, auths[1].user, "a Vonage user per call");
      assert.match(auths[0].user, /^visitor-[0-9a-f]{32}$/);
      const tickets = (await fakeLog(page, "serverCall")).map(([, c]) => c.ticket);
      assert.deepEqual(tickets, [auths[0].ticket, auths[1].ticket], "each call carries its own press's ticket");
      const sessions = (await fakeLog(page, "createSession")).map(([, token]) => token);
      assert.deepEqual(sessions, [auths[0].token, auths[1].token]);
      assert.equal((await fakeLog(page, "deleteSession")).length, 2, "each call's session is closed when it ends");
    } finally {
      await context.close();
    }
  });

  test("a long call renews its token for the same user before it expires (the renewal ticket, no new user)", async () => {
    const { page, context } = await ready({ clock: true });
    const requests = [];
    page.on("request", (req) => req.url().endsWith("/auth") && requests.push(req.headers().authorization ?? null));
    try {
      await button(page).click();
      await page.waitForFunction(() => window.__fake.calls === 1);
      await page.evaluate(() => window.__fake.emit("legStatusUpdate", "call-1", "leg-1", "ANSWERED"));
      await waitForState(page, "in_call");
      await page.clock.runFor(14 * 60 * 1000 + 5000);
      await page.waitForFunction(() => window.__fake.log.some(([k]) => k === "refreshSession"));
      const [[, renewed]] = await fakeLog(page, "refreshSession");
      const [[, first]] = await fakeLog(page, "createSession");
      assert.notEqual(renewed, first);
      const sub = (jwt) => JSON.parse(atob(jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))).sub;
      assert.equal(sub(renewed), sub(first), "the same user");
      assert.equal(requests.length, 2);
      assert.equal(requests[0], null);
      assert.match(requests[1], /^Bearer [\w-]+\.[\w-]+\.[\w-]+$/, "the renewal asks with the renewal ticket");
      assert.equal(await state(page), "in_call", "the call goes on");
    } finally {
      await context.close();
    }
  });
});

describe("voicemail, in the visitor's words", () => {
  test("support's phone rang out: \"Leave a message after the tone\", recording, then \"Message left\"", async () => {
    const { page, context } = await ready({ clock: true });
    try {
      await button(page).click();
      await page.waitForFunction(() => window.__fake.calls === 1);
      await page.evaluate(() => window.__fake.emit("legStatusUpdate", "call-1", "leg-2", "RINGING"));
      await waitForState(page, "ringing");
      await page.evaluate(() => window.__fake.emit("legStatusUpdate", "call-1", "leg-2", "COMPLETED"));
      await page.clock.runFor(2000);
      await waitForState(page, "voicemail");
      assert.equal(await status(page).textContent(), "Leave a message after the tone.");
      assert.match(await detail(page).textContent(), /^Recording: /);
      assert.equal((await button(page).textContent()).trim(), "Hang up");
      await screenshot(page, "1280-voicemail");
      await page.evaluate(() => window.__fake.emit("callHangup", "call-1", {}, "REMOTE_HANGUP"));
      await waitForState(page, "ended");
      assert.equal(await detail(page).textContent(), "Message left. We will call you back.");
    } finally {
      await context.close();
    }
  });

  test("a ring list's next number rings on: no voicemail words in between", async () => {
    const { page, context } = await ready({ clock: true });
    try {
      await button(page).click();
      await page.waitForFunction(() => window.__fake.calls === 1);
      await page.evaluate(() => window.__fake.emit("legStatusUpdate", "call-1", "leg-2", "RINGING"));
      await waitForState(page, "ringing");
      await page.evaluate(() => window.__fake.emit("legStatusUpdate", "call-1", "leg-2", "COMPLETED"));
      await page.clock.runFor(500);
      await page.evaluate(() => window.__fake.emit("legStatusUpdate", "call-1", "leg-3", "RINGING"));
      await page.clock.runFor(3000);
      assert.equal(await state(page), "ringing");
      await page.evaluate(() => window.__fake.emit("legStatusUpdate", "call-1", "leg-3", "ANSWERED"));
      await waitForState(page, "in_call");
    } finally {
      await context.close();
    }
  });

  for (const [lang, words, left] of [
    ["es", "Deje un mensaje después del tono.", "Mensaje dejado. Le devolveremos la llamada."],
    ["fr", "Laissez un message après le bip.", "Message laissé. Nous vous rappellerons."],
    ["de", "Hinterlassen Sie nach dem Signalton eine Nachricht.", "Nachricht hinterlassen. Wir rufen Sie zurück."],
  ]) {
    test(`in ${lang}`, async () => {
      const opened = await openPage(browser, worker.url, { clock: true });
      const { page, context } = opened;
      try {
        await page.goto(`${worker.url}/?lang=${lang}`);
        await waitForState(page, "ready");
        await button(page).click();
        await page.waitForFunction(() => window.__fake.calls === 1);
        await page.evaluate(() => window.__fake.emit("legStatusUpdate", "call-1", "leg-2", "RINGING"));
        await page.evaluate(() => window.__fake.emit("legStatusUpdate", "call-1", "leg-2", "COMPLETED"));
        await page.clock.runFor(2000);
        await waitForState(page, "voicemail");
        assert.equal(await status(page).textContent(), words);
        await button(page).click();
        await waitForState(page, "ended");
        assert.equal(await detail(page).textContent(), left);
      } finally {
        await context.close();
      }
    });
  }
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

  /** The page as loaded, with /auth answered by `fulfill` (or aborted), then Call pressed. */
  async function pressWithAuth(fulfill, options = {}) {
    const opened = await openPage(browser, worker.url, options);
    await opened.page.route("**/auth", fulfill);
    await opened.page.goto(worker.url + "/");
    await waitForState(opened.page, "ready");
    await button(opened.page).click();
    return opened;
  }
  const authError = (statusCode, code, retryAfter = "60") => (route) =>
    route.fulfill({ status: statusCode, contentType: "application/json", headers: { "retry-after": retryAfter }, body: JSON.stringify({ error: { code, message: "x" } }) });

  test("a token refused by /auth (another site) is explained and the button stays off", async () => {
    const { page, context } = await pressWithAuth(authError(403, "cross_site_request"));
    try {
      await waitForState(page, "error");
      assert.equal(await status(page).textContent(), "This page is not allowed to place calls.");
      assert.equal(await button(page).isDisabled(), true);
      await screenshot(page, "1280-error-token-403");
    } finally {
      await context.close();
    }
  });

  test("rate limited by /auth: explained, and the button comes back after Retry-After", async () => {
    const { page, context } = await pressWithAuth(authError(429, "rate_limited", "2"));
    try {
      await waitForState(page, "error");
      assert.equal(await status(page).textContent(), "Too many attempts.");
      assert.equal(await button(page).isDisabled(), true);
      await screenshot(page, "1280-error-token-429");
      await waitForState(page, "ready", 5000);
    } finally {
      await context.close();
    }
  });

  test("Vonage's Users API down (/auth 503 users_api_unavailable): the page says the service is busy and comes back", async () => {
    const { page, context } = await pressWithAuth(authError(503, "users_api_unavailable", "1"));
    try {
      await waitForState(page, "error");
      assert.equal(await status(page).textContent(), "The calling service is busy.");
      assert.equal(await detail(page).textContent(), "Please press Call now again in a few seconds.");
      assert.deepEqual(await fakeLog(page, "createSession"), [], "no session without a user");
      await screenshot(page, "1280-error-users-api");
      await waitForState(page, "ready", 5000);
    } finally {
      await context.close();
    }
  });

  test("a worker that is not configured: the page says calling is unavailable", async () => {
    const bare = await startWorker({ vars: { VONAGE_PRIVATE_KEY: undefined } });
    const { page, context } = await openPage(browser, bare.url);
    try {
      await page.goto(bare.url + "/");
      await waitForState(page, "ready");
      await button(page).click();
      await waitForState(page, "error");
      assert.equal(await status(page).textContent(), "Calling is not available right now.");
      assert.equal(await button(page).isDisabled(), true);
    } finally {
      await context.close();
      await bare.dispose();
    }
  });

  test("network down: the page says so, and the next press works when the network is back", async () => {
    const { page, context } = await pressWithAuth((route) => route.abort("internetdisconnected"));
    try {
      await waitForState(page, "error");
      assert.equal(await status(page).textContent(), "You seem to be offline.");
      await screenshot(page, "1280-error-offline");
      await page.unroute("**/auth");
      await page.waitForTimeout(700); // past the double-click guard
      await button(page).click();
      await page.waitForFunction(() => window.__fake.calls === 1);
    } finally {
      await context.close();
    }
  });

  test("a session that cannot be created is explained, and pressing again recovers", async () => {
    const { page, context } = await ready({ behaviour: { createSessionFailures: 1 } });
    try {
      await button(page).click();
      await waitForState(page, "error");
      assert.equal(await status(page).textContent(), "We cannot reach the calling service.");
      assert.match(await detail(page).textContent(), /SESSION_ERROR, session:error:timeout/);
      await page.waitForTimeout(700);
      await button(page).click();
      await page.waitForFunction(() => window.__fake.calls === 1);
      assert.equal((await fakeLog(page, "createSession")).length, 2);
    } finally {
      await context.close();
    }
  });
});

describe("the session", () => {
  test("a session error during a call ends the call; the next press starts afresh", async () => {
    const { page, context } = await ready();
    try {
      await button(page).click();
      await page.waitForFunction(() => window.__fake.calls === 1);
      await page.evaluate(() => window.__fake.emit("sessionError", "TRANSPORT_CLOSED"));
      await waitForState(page, "ended");
      assert.equal(await detail(page).textContent(), "The connection was lost.");
      assert.equal((await fakeLog(page, "deleteSession")).length, 1);
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
      // No network to Vonage here: the press's session attempt fails and the page says so.
      await waitForState(page, "ready");
      await button(page).click();
      await waitForState(page, "error", 30_000);
      assert.equal(await status(page).textContent(), "We cannot reach the calling service.");
      await screenshot(page, "1280-real-sdk-no-network");
      assert.ok(!consoleErrors.some((e) => /Content Security Policy/.test(e)), consoleErrors.join("\n"));
    } finally {
      await context.close();
    }
  });
});
