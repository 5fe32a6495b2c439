// The event log end to end in workerd: webhook → Queue → consumer → KV, the
// ops API reading it back, idempotency, and what happens when KV fails.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { startWorker, eventually, OPS_TOKEN } from "../helpers/worker.mjs";
import { newCall as renderCall, callEvents, newConversationId } from "../helpers/scenarios.mjs";
import { loadTest } from "../../bench/load.mjs";

const DAY = "2026-01-02";
const START = Date.parse(`${DAY}T10:00:00Z`);
const auth = { authorization: `Bearer ${OPS_TOKEN}` };

const newCall = (options = {}) => renderCall({ start: START, ...options });

const post = (w, body) =>
  w.fetch("/webhooks/event", { method: "POST", headers: { "content-type": "application/json" }, body: typeof body === "string" ? body : JSON.stringify(body) });

let w;
before(async () => {
  w = await startWorker();
});
after(() => w?.dispose());

describe("through the queue", () => {
  test("an event posted to the webhook appears in KV via the consumer", async () => {
    const call = newCall();
    const [started] = callEvents(call);
    const res = await post(w, started);
    assert.equal(res.status, 200);
    const { key, via } = await res.json();
    assert.equal(via, "queue");
    const stored = await eventually(() => w.kv.get(key));
    assert.deepEqual(JSON.parse(stored).raw, started);
  });

  test("the same body posted twice is stored once", async () => {
    const call = newCall();
    const body = JSON.stringify(callEvents(call)[3]);
    const a = await (await post(w, body)).json();
    const b = await (await post(w, body)).json();
    assert.equal(a.key, b.key);
    await eventually(() => w.kv.get(a.key));
    await new Promise((r) => setTimeout(r, 500)); // let any second delivery land too
    assert.deepEqual(await w.keys(`event/${call.conversation_uuid}/`), [a.key]);
  });

  test("entries expire after EVENT_TTL_DAYS", async () => {
    const call = newCall();
    const { key } = await (await post(w, callEvents(call)[0])).json();
    await eventually(() => w.kv.get(key));
    const ns = w.kv;
    const listed = await ns.list({ prefix: key });
    const ttl = listed.keys[0].expiration - Date.now() / 1000;
    assert.ok(Math.abs(ttl - 30 * 86400) < 120, `expires in ${ttl} s`);
  });
});

describe("the ops API", () => {
  let call;
  before(async () => {
    call = newCall({ start: START + 3_600_000 });
    // Posted out of order, as a queue may deliver them.
    const events = callEvents(call);
    for (const e of [...events].reverse()) assert.equal((await post(w, e)).status, 200);
    await eventually(async () => (await w.keys(`event/${call.conversation_uuid}/`)).length === events.length);
  });

  test("lists the day's calls with their newest status", async () => {
    const list = await eventually(async () => {
      const body = await (await w.fetch(`/ops/calls?day=${DAY}`, { headers: auth })).json();
      return body.calls.find((c) => c.call_id === call.conversation_uuid && c.status === "completed") && body;
    });
    assert.equal(list.day, DAY);
    assert.equal(list.previous_day, "2026-01-01");
    const item = list.calls.find((c) => c.call_id === call.conversation_uuid);
    assert.equal(item.status, "completed", "a late 'started' did not overwrite 'completed'");
    assert.equal(item.first_event_at, new Date(call.start).toISOString());
    const times = list.calls.map((c) => c.last_event_at);
    assert.deepEqual(times, [...times].sort().reverse(), "newest activity first");
  });

  test("shows one call's events in time order, with duration and price", async () => {
    const res = await w.fetch(`/ops/calls/${call.conversation_uuid}`, { headers: auth });
    assert.equal(res.status, 200);
    const view = await res.json();
    const events = callEvents(call);
    assert.deepEqual(view.events.map((e) => e.status), events.map((e) => e.status));
    assert.deepEqual(view.events.map((e) => e.at), events.map((e) => e.timestamp));
    assert.equal(view.status, "completed");
    assert.equal(view.duration_seconds, call.scenario.expect.duration_seconds);
    assert.equal(view.price, events.find((e) => e.price).price);
    assert.equal(view.started_at, events[0].timestamp);
  });

  test("paginates a day with KV cursors", async () => {
    const first = await (await w.fetch(`/ops/calls?day=${DAY}&limit=1`, { headers: auth })).json();
    assert.equal(first.calls.length, 1);
    assert.ok(first.cursor, "there is more");
    const second = await (await w.fetch(`/ops/calls?day=${DAY}&limit=1&cursor=${encodeURIComponent(first.cursor)}`, { headers: auth })).json();
    assert.equal(second.calls.length, 1);
    assert.notEqual(second.calls[0].call_id, first.calls[0].call_id);
  });

  test("refuses a wrong or missing token", async () => {
    for (const headers of [{}, { authorization: "Bearer wrong-token-0123456789" }, { authorization: `Basic ${OPS_TOKEN}` }]) {
      const res = await w.fetch(`/ops/calls?day=${DAY}`, { headers });
      assert.equal(res.status, 401);
      assert.equal(res.headers.get("www-authenticate"), "Bearer");
      assert.equal((await res.json()).error.code, "unauthorized");
    }
  });

  test("does not exist without OPS_TOKEN", async () => {
    const closed = await startWorker({ vars: { OPS_TOKEN: undefined } });
    try {
      const res = await closed.fetch("/ops/calls", { headers: auth });
      assert.equal(res.status, 404);
      assert.equal((await res.json()).error.code, "not_found");
    } finally {
      await closed.dispose();
    }
  });

  test("an unknown call is a 404", async () => {
    const res = await w.fetch(`/ops/calls/${newConversationId()}`, { headers: auth });
    assert.equal(res.status, 404);
  });
});

describe("load", () => {
  test("events posted concurrently from many calls are all stored once (LOAD_EVENTS, default 800)", async () => {
    const n = Number(process.env.LOAD_EVENTS ?? 800);
    const report = await loadTest({ url: w.url, events: n, concurrency: 32, opsToken: OPS_TOKEN, day: "2026-01-03" });
    console.log(`load: ${report.events} events from ${report.calls} calls at ${report.eventsPerSecond.toFixed(0)} events/s; ` +
      `read back ${report.stored}, lost ${report.lost}, duplicated ${report.duplicated}`);
    assert.equal(report.failedPosts, 0);
    assert.equal(report.stored, n);
    assert.equal(report.lost, 0);
    assert.equal(report.duplicated, 0);
  });
});

// A KV namespace that fails: a test double bound in place of CALL_EVENTS.
// It fails the first `FAILURES` puts of event keys, then passes through.
const flakyKv = (failures) => `
let failed = 0;
export default function (env) {
  const kv = env.INNER;
  return {
    get: (...a) => kv.get(...a),
    getWithMetadata: (...a) => kv.getWithMetadata(...a),
    list: (...a) => kv.list(...a),
    delete: (...a) => kv.delete(...a),
    async put(key, ...rest) {
      if (key.startsWith("event/") && failed < ${failures}) {
        failed += 1;
        console.log("kv-double: failing put " + failed);
        throw new Error("KV is down (test double)");
      }
      return kv.put(key, ...rest);
    },
  };
}`;

describe("when KV fails", () => {
  test("the consumer retries the message and it is eventually stored", async () => {
    const flaky = await startWorker({ kvWrapper: flakyKv(2) });
    try {
      const call = newCall();
      const res = await post(flaky, callEvents(call)[0]);
      assert.equal(res.status, 200, "the queue took it");
      const { key } = await res.json();
      const keys = await eventually(async () => {
        const k = await flaky.keys(`event/${call.conversation_uuid}/`);
        return k.length ? k : null;
      }, { ms: 30_000, every: 250 });
      assert.deepEqual(keys, [key]);
      assert.ok(flaky.logs.filter((l) => l.includes("kv-double: failing put")).length === 2, flaky.logs.join("\n"));
      assert.ok(flaky.logs.some((l) => /will be retried/.test(l)), flaky.logs.join("\n"));
    } finally {
      await flaky.dispose();
    }
  });

  test("without a queue, the webhook answers 503 so Vonage retries, and writes nothing", async () => {
    const down = await startWorker({ queue: false, kvWrapper: flakyKv(1_000_000) });
    try {
      const call = newCall();
      const res = await post(down, callEvents(call)[0]);
      assert.equal(res.status, 503);
      assert.ok(res.headers.get("retry-after"));
      assert.equal((await res.json()).error.code, "log_unavailable");
      assert.deepEqual(await down.keys(), []);
    } finally {
      await down.dispose();
    }
  });
});
