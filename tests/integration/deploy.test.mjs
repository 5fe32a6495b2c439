// `make deploy` (scripts/deploy.mjs) against a stand-in of Vonage's account,
// numbers and applications APIs (helpers/vonage-account.mjs), with
// CLOUDFLARE_DRY_RUN=1: the Vonage side for real, the Cloudflare side as
// `wrangler deploy --dry-run`.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createPublicKey } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { root } from "../helpers/worker.mjs";
import { vonageAccount } from "../helpers/vonage-account.mjs";

const SIGNATURE = "a-signature-secret-of-32-chars!!";
let account;
before(async () => {
  account = await vonageAccount();
});
after(() => account?.close());

const inputs = (extra = {}) => ({
  VONAGE_API_KEY: account.apiKey,
  VONAGE_API_SECRET: account.apiSecret,
  VONAGE_NUMBER: "+44 7700 900000",
  DESTINATION_PHONE_NUMBERS: "447700900001, +447700900002",
  ALLOWED_ORIGINS: "https://www.example.com",
  VONAGE_SIGNATURE_SECRET: SIGNATURE,
  PUBLIC_URL: "https://calls.example.com",
  COMPANY_NAME: "Acme",
  OPENING_HOURS: "Mon-Fri 09:00-17:30",
  TIMEZONE: "Europe/London",
  ...extra,
});

/** Runs the deploy as `make deploy` would (never blocking this process: the stand-in lives here). */
async function deploy(stateDir, extra = {}) {
  const env = {
    PATH: process.env.PATH, HOME: process.env.HOME,
    ...inputs(extra),
    VONAGE_API_URL: account.origin, VONAGE_REST_URL: account.origin,
    CLOUDFLARE_DRY_RUN: "1", DEPLOY_SKIP_BUILD: "1", DEPLOY_STATE_DIR: stateDir,
    DEPLOY_ENV_FILE: path.join(stateDir, "none.env"),
    WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false",
  };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  try {
    const { stdout, stderr } = await promisify(execFile)("node", ["scripts/deploy.mjs"], { cwd: root, env, timeout: 120_000 });
    return { code: 0, out: stdout + stderr };
  } catch (e) {
    return { code: e.code, out: (e.stdout ?? "") + (e.stderr ?? "") };
  }
}

describe("make deploy", () => {
  const stateDir = mkdtempSync(path.join(tmpdir(), "deploy-state-"));

  test("the first run creates the application (webhooks on the worker, fallback, signed callbacks, our key) and links the number", async () => {
    const { code, out } = await deploy(stateDir);
    assert.equal(code, 0, out);
    assert.equal(account.applications.size, 1);
    const [app] = account.applications.values();
    assert.match(out, new RegExp(`created the Vonage application ${app.id}`));
    const voice = app.capabilities.voice;
    assert.deepEqual(voice.webhooks, {
      answer_url: { address: "https://calls.example.com/webhooks/answer", http_method: "GET" },
      event_url: { address: "https://calls.example.com/webhooks/event", http_method: "POST" },
      fallback_answer_url: { address: "https://calls.example.com/webhooks/fallback", http_method: "GET" },
    });
    assert.equal(voice.signed_callbacks, true);
    assert.equal(app.capabilities.rtc.webhooks.event_url.address, "https://calls.example.com/webhooks/rtc");
    const privateKey = readFileSync(path.join(stateDir, "private.key"), "utf8");
    assert.equal(app.keys.public_key, createPublicKey(privateKey).export({ type: "spki", format: "pem" }), "the application holds our public key");
    assert.deepEqual(account.links, [{ msisdn: "447700900000", app_id: app.id }]);
    const state = JSON.parse(readFileSync(path.join(stateDir, "state.json"), "utf8"));
    assert.equal(state.application_id, app.id);
    assert.match(state.ops_token, /^[0-9a-f]{64}$/, "32 random bytes");
    assert.match(out, /wrangler deploy --dry-run/);
    assert.match(out, /<script src="https:\/\/calls\.example\.com\/embed\.js" async><\/script>/);
    assert.match(out, /Ops: https:\/\/calls\.example\.com\/ops\.html/);
    for (const secret of [SIGNATURE, account.apiSecret, privateKey.split("\n")[1]]) assert.ok(!out.includes(secret), "no secret printed");
  });

  test("a second run updates the same application: never a second one", async () => {
    const before = JSON.parse(readFileSync(path.join(stateDir, "state.json"), "utf8"));
    const { code, out } = await deploy(stateDir, { PUBLIC_URL: "https://call.example.org" });
    assert.equal(code, 0, out);
    assert.equal(account.applications.size, 1);
    assert.match(out, new RegExp(`updated the Vonage application ${before.application_id}`));
    const app = account.applications.get(before.application_id);
    assert.equal(app.capabilities.voice.webhooks.answer_url.address, "https://call.example.org/webhooks/answer");
    assert.equal(account.seen.filter((s) => s.method === "POST" && s.path === "/v2/applications").length, 1);
    assert.equal(account.seen.filter((s) => s.method === "PUT").length, 1);
    const after = JSON.parse(readFileSync(path.join(stateDir, "state.json"), "utf8"));
    assert.equal(after.ops_token, before.ops_token, "the ops token stays");
  });

  for (const [what, extra, words] of [
    ["a number not in E.164", { VONAGE_NUMBER: "07700 900000" }, /VONAGE_NUMBER: "07700 900000" is not an E\.164 number/],
    ["a destination not in E.164", { DESTINATION_PHONE_NUMBERS: "447700900001,call-me" }, /DESTINATION_PHONE_NUMBERS: "call-me" is not an E\.164 number/],
    ["an origin with a path", { ALLOWED_ORIGINS: "https://www.example.com/shop" }, /ALLOWED_ORIGINS: "https:\/\/www\.example\.com\/shop" is not an origin/],
    ["a public URL that is not https", { PUBLIC_URL: "http://calls.example.com" }, /PUBLIC_URL: .* must be the worker's https origin/],
    ["a wrong API secret", { VONAGE_API_SECRET: "wrong" }, /VONAGE_API_KEY \/ VONAGE_API_SECRET: Vonage refused them \(401\)/],
    ["a number the account does not have", { VONAGE_NUMBER: "447700900999" }, /VONAGE_NUMBER: 447700900999 is not a number of this Vonage account/],
    ["a missing input", { VONAGE_SIGNATURE_SECRET: undefined }, /missing: VONAGE_SIGNATURE_SECRET/],
  ]) {
    test(`${what} stops before anything is created, naming the input`, async () => {
      const fresh = mkdtempSync(path.join(tmpdir(), "deploy-state-"));
      const seen = account.seen.length;
      const { code, out } = await deploy(fresh, extra);
      assert.equal(code, 2, out);
      assert.match(out, words);
      const writes = account.seen.slice(seen).filter((s) => s.method !== "GET");
      assert.deepEqual(writes, [], "no application made, no number linked");
    });
  }
});
