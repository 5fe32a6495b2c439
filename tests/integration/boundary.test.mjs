// Nothing fails open at the Vonage boundary (issue 18), in workerd: one
// Vonage user per call (the Users API stand-in of helpers/vonage-api.mjs),
// and when that API fails the visitor is told to retry; a ring list that
// hands over even when the log cannot be written; the fallback answer URL
// that needs no storage at all; RTC events taken unsigned but only logged.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { startWorker, eventually, SUPPORT, OPS_TOKEN, SIGNATURE_SECRET, APP_ID } from "../helpers/worker.mjs";
import { answerCall, ticketFrom, userOf, visitorIp } from "../helpers/calls.mjs";
import { vonageSignature } from "../helpers/sign.mjs";

const RING_LIST = ["447700900001", "447700900002"];
const JSON_CT = { "content-type": "application/json" };
const post = (w, url, body, headers = {}) => w.fetch(url, { method: "POST", headers: { ...JSON_CT, ...headers }, body: JSON.stringify(body) });

function phoneEvent(conversation, to, status, extra = {}) {
  return { from: SUPPORT, to, uuid: randomUUID(), conversation_uuid: conversation, direction: "outbound", status, timestamp: new Date().toISOString(), ...extra };
}

/** A KV namespace that refuses every write (and can be slow): the log is down. */
const deadKv = (delayMs = 0) => `
export default function (env) {
  const wait = () => new Promise((r) => setTimeout(r, ${delayMs}));
  return {
    async get(key, type) { return env.INNER.get(key, type); },
    async getWithMetadata(key, type) { return env.INNER.getWithMetadata(key, type); },
    async list(options) { return env.INNER.list(options); },
    async put() { await wait(); throw new Error("kv-double: KV is down"); },
  };
}`;

describe("one Vonage user per call", () => {
  let w;
  before(async () => {
    w = await startWorker();
  });
  after(() => w?.dispose());

  test("each press gets a user of its own, made through the Users API with the application's JWT; the answer connects only that user's call", async () => {
    const [a, b] = [await (await w.fetch("/auth", { headers: { "cf-connecting-ip": visitorIp() } })).json(), await (await w.fetch("/auth", { headers: { "cf-connecting-ip": visitorIp() } })).json()];
    assert.notEqual(a.user, b.user);
    for (const { user } of [a, b]) {
      const made = w.vonage.users.find((u) => u.name === user);
      assert.ok(made, `${user} was created`);
      assert.equal(made.properties.ttl, 900, "Vonage deletes it once empty");
    }
    assert.ok(w.vonage.seen.filter((s) => s.path === "/v1/users").every((s) => s.problem === null), "every request carried a valid application JWT");
    // b's ticket on a's call: the ticket is bound to b's user.
    const stolen = await answerCall(w, { ticket: b.ticket, user: a.user });
    assert.ok(!stolen.ncco.some((x) => x.action === "connect"), "another user's ticket connects no one");
    const own = await answerCall(w, { ticket: a.ticket, user: a.user });
    assert.equal(own.ncco[1].action, "connect");
  });

  test("when the Users API fails or is rate limited, /auth answers 503 with Retry-After and names it", async () => {
    for (const status of [500, 429]) {
      w.vonage.usersStatus = status;
      try {
        const res = await w.fetch("/auth", { headers: { "cf-connecting-ip": visitorIp() } });
        assert.equal(res.status, 503, String(status));
        assert.equal(res.headers.get("retry-after"), "5");
        const body = await res.json();
        assert.equal(body.error.code, "users_api_unavailable");
        assert.match(body.error.message, new RegExp(`Users API answered ${status}`));
      } finally {
        w.vonage.usersStatus = 201;
      }
    }
  });

  test("an unreachable Users API is a 503 too", async () => {
    const lost = await startWorker({ vars: { VONAGE_API_URL: "http://127.0.0.1:9" } });
    try {
      const res = await lost.fetch("/auth");
      assert.equal(res.status, 503);
      assert.match((await res.json()).error.message, /could not be reached/);
    } finally {
      await lost.dispose();
    }
  });

  test("a call outlives its first token: the renewal ticket gets new tokens for the same user, and nothing else", async () => {
    const ip = visitorIp();
    const first = await (await w.fetch("/auth", { headers: { "cf-connecting-ip": ip } })).json();
    assert.equal(typeof first.renew, "string");
    const made = w.vonage.users.length;
    const renewed = await w.fetch("/auth", { headers: { "cf-connecting-ip": ip, authorization: `Bearer ${first.renew}` } });
    assert.equal(renewed.status, 200);
    assert.equal(renewed.headers.get("cache-control"), "no-store");
    const body = await renewed.json();
    assert.deepEqual(Object.keys(body).sort(), ["expires_at", "token", "user"], "no ticket: a renewal places no call");
    assert.equal(body.user, first.user);
    assert.equal(JSON.parse(Buffer.from(body.token.split(".")[1], "base64url")).sub, first.user);
    assert.notEqual(body.token, first.token);
    assert.equal(w.vonage.users.length, made, "no new Vonage user");
    // A renewal is not a call ticket, a call ticket is not a renewal, and a forged one is refused.
    const call = await answerCall(w, { ticket: first.renew, user: first.user });
    assert.ok(!call.ncco.some((x) => x.action === "connect"), "a renewal connects no call");
    const tampered = first.renew.slice(0, -2) + (first.renew.endsWith("AA") ? "BB" : "AA");
    for (const [what, bearer] of [["a call ticket", first.ticket], ["a tampered renewal", tampered], ["not a JWT", "x"]]) {
      const res = await w.fetch("/auth", { headers: { "cf-connecting-ip": ip, authorization: `Bearer ${bearer}` } });
      assert.equal(res.status, 401, what);
      assert.equal((await res.json()).error.code, "unauthorized", what);
    }
  });

  test("a shared user (CLIENT_USER) is for development: no Users API call, /healthz degraded", async () => {
    const shared = await startWorker({ vars: { CLIENT_USER: "supportuser" } });
    try {
      const body = await (await shared.fetch("/auth")).json();
      assert.equal(body.user, "supportuser");
      assert.deepEqual(shared.vonage.users, []);
      const health = await (await shared.fetch("/healthz", { headers: { authorization: `Bearer ${OPS_TOKEN}` } })).json();
      assert.equal(health.status, "degraded");
      assert.match(health.problems.find((p) => p.variable === "CLIENT_USER").problem, /development only/);
    } finally {
      await shared.dispose();
    }
  });
});

describe("a ring list never drops the caller", () => {
  for (const [name, options] of [
    ["the queue and KV both down (no queue bound, every KV write refused)", { queue: false, kvWrapper: deadKv() }],
    ["KV slow and failing behind the queue-less log", { queue: false, kvWrapper: deadKv(400) }],
    ["the log not configured (EVENT_TTL_DAYS malformed)", { vars: { EVENT_TTL_DAYS: "forever" } }],
  ]) {
    test(`a number that rang out hands over to the next with ${name}`, async () => {
      const w = await startWorker({ ...options, vars: { DESTINATION_PHONE_NUMBER: undefined, DESTINATION_PHONE_NUMBERS: RING_LIST.join(","), ...(options.vars ?? {}) } });
      try {
        const conversation = `CON-${randomUUID()}`;
        const started = Date.now();
        const res = await post(w, "/webhooks/event?ring=0", phoneEvent(conversation, RING_LIST[0], "busy", { detail: "busy" }));
        assert.equal(res.status, 200);
        const ncco = await res.json();
        assert.equal(ncco[0].action, "connect");
        assert.equal(ncco[0].endpoint[0].number, RING_LIST[1]);
        assert.ok(Date.now() - started < 2000, "answered before the log's retries");
        // The last number rang out too: voicemail, still without a log.
        const last = await (await post(w, "/webhooks/event?ring=1", phoneEvent(conversation, RING_LIST[1], "timeout"))).json();
        assert.deepEqual(last.map((a) => a.action), ["talk", "record"]);
        // The log tried again after the answer, and says what it lost.
        await eventually(() => w.logs.some((l) => /could not be logged|not configured; a ring-list event/.test(l)), { ms: 8000, what: "the log to report the lost event" });
      } finally {
        await w.dispose();
      }
    });
  }

  test("a support phone's own voicemail (Vonage's machine event, with machineDetection) moves the list on", async () => {
    const w = await startWorker({ vars: { DESTINATION_PHONE_NUMBER: undefined, DESTINATION_PHONE_NUMBERS: RING_LIST.join(",") } });
    try {
      const { ncco } = await answerCall(w, { ticket: await ticketFrom(w) });
      assert.equal(ncco[1].machineDetection, "continue");
      const conversation = `CON-${randomUUID()}`;
      const machine = { call_uuid: randomUUID(), conversation_uuid: conversation, status: "machine", sub_state: null, timestamp: new Date().toISOString() };
      const next = await (await post(w, "/webhooks/event?ring=0", machine)).json();
      assert.equal(next[0].endpoint[0].number, RING_LIST[1]);
    } finally {
      await w.dispose();
    }
  });

  test("with RING_SKIP_MACHINES=false no machine detection is asked for, and a machine event changes nothing", async () => {
    const w = await startWorker({ vars: { DESTINATION_PHONE_NUMBER: undefined, DESTINATION_PHONE_NUMBERS: RING_LIST.join(","), RING_SKIP_MACHINES: "false" } });
    try {
      const { ncco } = await answerCall(w, { ticket: await ticketFrom(w) });
      assert.equal(ncco[1].machineDetection, undefined);
      const machine = { call_uuid: randomUUID(), conversation_uuid: `CON-${randomUUID()}`, status: "machine", timestamp: new Date().toISOString() };
      assert.equal((await (await post(w, "/webhooks/event?ring=0", machine)).json()).accepted, true);
    } finally {
      await w.dispose();
    }
  });
});

describe("the fallback answer URL", () => {
  test("voicemail in the caller's language, touching neither KV, the queue nor the call guard", async () => {
    // Every binding the fallback could touch is gone or broken.
    const w = await startWorker({ queue: false, kvWrapper: deadKv() });
    try {
      // The page's way: the language travels in the ticket (/auth?lang=de).
      const ticket = await ticketFrom(w, { query: "?lang=de" });
      const custom_data = JSON.stringify({ ticket });
      const q = new URLSearchParams({ to: SUPPORT, from_user: userOf(ticket), endpoint_type: "app", uuid: randomUUID(), conversation_uuid: `CON-${randomUUID()}`, custom_data });
      for (const res of [await w.fetch(`/webhooks/fallback?${q}`), await post(w, "/webhooks/fallback", Object.fromEntries(q))]) {
        assert.equal(res.status, 200);
        const ncco = await res.json();
        assert.deepEqual(ncco.map((a) => a.action), ["talk", "record"]);
        assert.equal(ncco[0].language, "de-DE");
        assert.match(ncco[0].text, /Nachricht/);
        assert.deepEqual(ncco[1].eventUrl, [`${w.url}/webhooks/recording`]);
      }
      await new Promise((r) => setTimeout(r, 300));
      assert.ok(!w.logs.some((l) => /kv-double/.test(l)), "no KV write was tried");
    } finally {
      await w.dispose();
    }
  });

  test("out of hours: the closed message, then voicemail; unsigned without ALLOW_UNSIGNED_WEBHOOKS: the apology", async () => {
    const closed = await startWorker({ vars: { OPENING_HOURS: "Mon-Sun 00:00-00:01", CLOSED_DATES: "2026-01-01" } });
    try {
      const ncco = await (await closed.fetch(`/webhooks/fallback?uuid=${randomUUID()}`)).json();
      assert.match(ncco[0].text, /closed right now/);
      assert.equal(ncco[1].action, "record");
    } finally {
      await closed.dispose();
    }
    const strict = await startWorker({ vars: { ALLOW_UNSIGNED_WEBHOOKS: undefined } });
    try {
      const ncco = await (await strict.fetch(`/webhooks/fallback?uuid=${randomUUID()}`)).json();
      assert.deepEqual(ncco.map((a) => a.action), ["talk"]);
      assert.match(ncco[0].text, /cannot connect your call/);
    } finally {
      await strict.dispose();
    }
  });

  test("signed like the answer webhook: a wrong signature is 401, a right one gets voicemail", async () => {
    const w = await startWorker({ vars: { VONAGE_SIGNATURE_SECRET: SIGNATURE_SECRET, ALLOW_UNSIGNED_WEBHOOKS: undefined } });
    try {
      const query = [["uuid", randomUUID()], ["conversation_uuid", `CON-${randomUUID()}`]];
      const url = `/webhooks/fallback?${new URLSearchParams(query)}`;
      const wrong = await w.fetch(url, { headers: { authorization: await vonageSignature({ secret: "x".repeat(40), applicationId: APP_ID, query }) } });
      assert.equal(wrong.status, 401);
      const right = await w.fetch(url, { headers: { authorization: await vonageSignature({ secret: SIGNATURE_SECRET, applicationId: APP_ID, query }) } });
      assert.deepEqual((await right.json()).map((a) => a.action), ["talk", "record"]);
    } finally {
      await w.dispose();
    }
  });
});

describe("RTC events", () => {
  test("taken unsigned at /webhooks/rtc, even with a signature secret, and only logged: no line freed, no ring list moved", async () => {
    const w = await startWorker({ vars: { VONAGE_SIGNATURE_SECRET: SIGNATURE_SECRET, ALLOW_UNSIGNED_WEBHOOKS: undefined, MAX_CONCURRENT_CALLS: "1", DESTINATION_PHONE_NUMBER: undefined, DESTINATION_PHONE_NUMBERS: RING_LIST.join(",") } });
    try {
      const conversation = `CON-${randomUUID()}`;
      const rtc = { type: "member:left", conversation_id: conversation, from: "MEM-aaaaaaaa-bbbb-4ccc-8ddd-0123456789ab", body: { user: { name: "visitor-x" } }, timestamp: new Date().toISOString() };
      const res = await post(w, "/webhooks/rtc", rtc);
      assert.equal(res.status, 200);
      const accepted = await res.json();
      assert.equal(accepted.accepted, true);
      await eventually(() => w.kv.get(accepted.key), { what: "the RTC event in the log" });
      // A call event at the RTC URL is refused: call events must be signed.
      const call = await post(w, "/webhooks/rtc", { uuid: randomUUID(), conversation_uuid: conversation, status: "completed", direction: "inbound" });
      assert.equal(call.status, 400);
      assert.equal((await call.json()).error.code, "invalid_event");
      // An RTC "busy"-looking type on a ring-list URL moves nothing: RTC events have no path there.
      assert.equal((await post(w, "/webhooks/rtc?ring=0", { ...rtc, type: "busy" })).status, 200);
    } finally {
      await w.dispose();
    }
  });
});
