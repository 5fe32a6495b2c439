// Debian's Chromium, headless, driven by playwright-core (no downloaded browser).
import { chromium } from "playwright-core";
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { root } from "./worker.mjs";

export const screenshotDir = path.join(root, "target/screenshots");

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      // A fake microphone, granted without a prompt.
      "--use-fake-ui-for-media-stream",
      "--use-fake-device-for-media-stream",
    ],
  });
}

const fakeSdk = readFileSync(path.join(root, "tests/browser/fake-vonage-sdk.js"), "utf8");

/**
 * A page whose Vonage SDK file is replaced by the test stand-in, recording
 * console errors and every request that leaves our origin.
 */
export async function openPage(browser, baseUrl, { width = 1280, height = 800, behaviour = {}, fake = true, clock = false, timezoneId, locale } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, reducedMotion: "reduce", timezoneId, locale });
  const page = await context.newPage();
  const consoleErrors = [];
  const foreignRequests = [];
  page.on("console", (msg) => msg.type() === "error" && consoleErrors.push(msg.text()));
  page.on("pageerror", (err) => consoleErrors.push(String(err)));
  page.on("request", (req) => {
    const url = req.url();
    if (!url.startsWith(baseUrl) && !url.startsWith("data:") && !url.startsWith(`blob:${baseUrl}`)) foreignRequests.push(url);
  });
  if (fake) {
    await page.addInitScript((b) => {
      window.__fakeBehaviour = b;
    }, behaviour);
    await page.route("**/vendor/**/vonageClientSDK.min.js", (route) =>
      route.fulfill({ status: 200, contentType: "text/javascript", body: fakeSdk }),
    );
  }
  if (clock) await page.clock.install();
  return { context, page, consoleErrors, foreignRequests };
}

export async function screenshot(page, name) {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true });
}
