// Every delivery Vonage can make, from the shared fixtures (tests/scenarios,
// tests/fixtures/call-legs.json, each citing the Vonage reference it follows):
// accepted, filed under the right call, and read back the way ops see it.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { startWorker, eventually, OPS_TOKEN } from "../helpers/worker.mjs";
import { newCall, scenarioNames, loadScenario } from "../helpers/scenarios.mjs";

const auth = { authorization: `Bearer ${OPS_TOKEN}` };
const JSON_CT = { "content-type": "application/json" };

let w;
before(async () => {
  // Many calls from one test client: caps high enough for all of them.
  w = await startWorker({ vars: { MAX_CALLS_PER_CLIENT_HOUR: "1000", MAX_CONCURRENT_CALLS: "1000", MAX_LIVE_CALLS_PER_CLIENT: "100" } });
});
after(() => w?.dispose());

async function deliver(call) {
  const byGet = call.scenario.event_method === "GET";
  const results = [];
  for (const e of call.events.filter((e) => !e.expect_refusal)) {
    const res = byGet
      ? await w.fetch(`/webhooks/event?${new URLSearchParams(Object.entries(e.body).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]))}`)
      : await w.fetch("/webhooks/event", { method: "POST", headers: JSON_CT, body: typeof e.body === "string" ? e.body : JSON.stringify(e.body) });
    results.push({ status: res.status, body: await res.json() });
  }
  return results;
}

async function view(call, count) {
  return eventually(async () => {
    const res = await w.fetch(`/ops/calls/${call.conversation_uuid}`, { headers: auth });
    const v = res.status === 200 ? await res.json() : null;
    return v?.events.length >= count ? v : null;
  }, { ms: 15_000 });
}

describe("each scenario's events", () => {
  // Each with a fresh call ticket; the ticket scenarios (missing, reused)
  // are played by the simulator and tests/integration/guard.test.mjs.
  for (const name of scenarioNames().filter((n) => !loadScenario(n).requires?.length && !loadScenario(n).ticket)) {
    test(`${name}: every event 200, filed under its conversation, ops show the outcome and the caller`, async () => {
      const { ticket, user } = await (await w.fetch("/auth")).json();
      const call = newCall({ scenario: name, start: Date.now() + 500, user, context: { ticket } }); // events follow the answer, as in a real call
      // The answer webhook as Vonage requests it for an in-app call: from_user, no from.
      const answer = await w.fetch(`/webhooks/answer?${new URLSearchParams(call.answer)}`);
      assert.equal(answer.status, 200);
      const results = await deliver(call);
      for (const r of results) {
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.match(r.body.key, new RegExp(`^event/${call.conversation_uuid}/\\d{13}-[0-9a-f]{16}$`));
      }
      const v = await view(call, results.length + 1);
      const sent = call.events.filter((e) => !e.expect_refusal).map((e) => e.logged_as ?? e.status);
      assert.deepEqual(v.events.filter((e) => e.raw.source !== "answer_webhook").map((e) => e.status).sort(), [...sent].sort());
      assert.equal(v.from, call.user, "the caller is the Client SDK user (from_user)");
      if (call.scenario.expect.status) assert.equal(v.status, call.scenario.expect.status);
      if (call.scenario.expect.outcome) assert.equal(v.outcome, call.scenario.expect.outcome);
      const answered = v.events.find((e) => e.raw.source === "answer_webhook");
      assert.equal(answered.from, call.user);
      assert.equal(answered.raw.from_user, call.user);
      assert.equal(answered.raw.endpoint_type, "app");
      assert.equal(answered.raw.from, undefined, "Vonage sends no from for an in-app call");
    });
  }
});

test("a GET event is stored as the JSON object of its query, in order", async () => {
  const call = newCall({ scenario: "get-events" });
  const [first] = call.events;
  const query = new URLSearchParams(first.body);
  const res = await w.fetch(`/webhooks/event?${query}`);
  assert.equal(res.status, 200);
  const { key } = await res.json();
  const stored = JSON.parse(await eventually(() => w.kv.get(key)));
  assert.deepEqual(Object.keys(stored.raw), [...query.keys()]);
  assert.equal(stored.raw.status, "started");
});

test("fields of unexpected types are stored exactly as sent", async () => {
  const call = newCall({ scenario: "lenient-types" });
  const body = JSON.stringify({ ...call.events[1].body, status: { odd: true }, extra: [1, { a: null }] });
  const res = await w.fetch("/webhooks/event", { method: "POST", headers: JSON_CT, body });
  assert.equal(res.status, 200);
  const { key } = await res.json();
  const stored = JSON.parse(await eventually(() => w.kv.get(key)));
  assert.deepEqual(stored.raw, JSON.parse(body));
  assert.equal(stored.status, "event", "a status that is not a name is not indexed as one");
});

test("a transfer is filed under the conversation the leg joins", async () => {
  const call = newCall({ scenario: "record-input-transfer" });
  const transfer = call.events.find((e) => e.logged_as === "transfer").body;
  const res = await w.fetch("/webhooks/event", { method: "POST", headers: JSON_CT, body: JSON.stringify(transfer) });
  const { key } = await res.json();
  assert.ok(key.startsWith(`event/${transfer.conversation_uuid_to}/`), key);
});

test("a retried answer request is stored once", async () => {
  const { ticket } = await (await w.fetch("/auth")).json();
  const call = newCall({ context: { ticket } });
  const q = new URLSearchParams(call.answer);
  for (let i = 0; i < 3; i++) assert.equal((await w.fetch(`/webhooks/answer?${q}`)).status, 200);
  await eventually(async () => (await w.keys(`event/${call.conversation_uuid}/`)).length === 1);
  await new Promise((r) => setTimeout(r, 1500)); // past the queue's batch timeout
  assert.equal((await w.keys(`event/${call.conversation_uuid}/`)).length, 1);
});
