// What bounds the worker's work: bodies cut off while they stream, the call
// view read a page at a time, dead letters kept rather than lost, and a
// configuration that would loop calls refused.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { startWorker, eventually, OPS_TOKEN, SUPPORT } from "../helpers/worker.mjs";
import { newCall, callEvents } from "../helpers/scenarios.mjs";

const ops = { authorization: `Bearer ${OPS_TOKEN}` };
const post = (w, body) => w.fetch("/webhooks/event", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

/** POSTs `total` bytes chunked (no Content-Length), as fast as the socket takes them. */
function chunkedPost(url, total) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "POST", headers: { "content-type": "application/json", "transfer-encoding": "chunked" } }, (res) => {
      let text = "";
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode, body: text, sent }));
    });
    req.on("error", (e) => (e.code === "EPIPE" || e.code === "ECONNRESET" ? resolve({ status: 0, sent }) : reject(e)));
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    const pump = () => {
      while (sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) return req.once("drain", pump);
      }
      req.end();
    };
    req.write("{");
    pump();
  });
}

test("a chunked 8 MiB body is cut off at the limit with 413, and the worker keeps serving", async () => {
  const w = await startWorker();
  try {
    const res = await chunkedPost(`${w.url}/webhooks/event`, 8 * 1024 * 1024);
    assert.equal(res.status, 413, JSON.stringify(res));
    assert.equal(JSON.parse(res.body).error.code, "payload_too_large");
    const ok = await w.fetch("/healthz");
    assert.equal(ok.status, 200, "still serving");
    assert.deepEqual(await w.keys(), []);
  } finally {
    await w.dispose();
  }
});

test("a chunked body within the limit is read whole", async () => {
  const w = await startWorker();
  try {
    const [event] = callEvents(newCall());
    const res = await new Promise((resolve, reject) => {
      const req = http.request(`${w.url}/webhooks/event`, { method: "POST", headers: { "content-type": "application/json", "transfer-encoding": "chunked" } }, (r) => {
        let t = "";
        r.on("data", (d) => (t += d)).on("end", () => resolve({ status: r.statusCode, body: t }));
      });
      req.on("error", reject);
      const text = JSON.stringify(event);
      req.write(text.slice(0, 10));
      req.end(text.slice(10));
    });
    assert.equal(res.status, 200, res.body);
  } finally {
    await w.dispose();
  }
});

test("the call view reads a page of events at a time, with a cursor for the rest", async () => {
  const w = await startWorker({ queue: false }); // KV directly: the events are stored before each answer
  try {
    const call = newCall();
    const base = Date.parse("2026-01-05T10:00:00Z");
    const events = Array.from({ length: 205 }, (_, i) => ({ ...callEvents(call)[3], timestamp: new Date(base + i * 1000).toISOString() }));
    for (let i = 0; i < events.length; i += 25) {
      const results = await Promise.all(events.slice(i, i + 25).map((e) => post(w, e)));
      assert.ok(results.every((r) => r.status === 200));
    }
    const first = await (await w.fetch(`/ops/calls/${call.conversation_uuid}`, { headers: ops })).json();
    assert.equal(first.events.length, 200);
    assert.ok(first.cursor, "there is more");
    const rest = await (await w.fetch(`/ops/calls/${call.conversation_uuid}?cursor=${encodeURIComponent(first.cursor)}`, { headers: ops })).json();
    assert.equal(rest.events.length, 5);
    assert.equal(rest.cursor ?? null, null);
    assert.ok(first.events.at(-1).at < rest.events[0].at, "pages follow time order");
  } finally {
    await w.dispose();
  }
});

// Fails every put of an event entry; everything else passes through.
const deadKv = `
export default function (env) {
  const kv = env.INNER;
  return {
    get: (...a) => kv.get(...a),
    getWithMetadata: (...a) => kv.getWithMetadata(...a),
    list: (...a) => kv.list(...a),
    delete: (...a) => kv.delete(...a),
    async put(key, ...rest) {
      if (key.startsWith("event/")) throw new Error("KV refuses events (test double)");
      return kv.put(key, ...rest);
    },
  };
}`;

test("a message the consumer cannot store reaches the dead-letter queue and is kept under dead/ for ops", async () => {
  const w = await startWorker({ kvWrapper: deadKv, maxRetries: 1 });
  try {
    const [event] = callEvents(newCall());
    assert.equal((await post(w, event)).status, 200, "the queue took it");
    const letters = await eventually(async () => {
      const body = await (await w.fetch("/ops/dead-letters", { headers: ops })).json();
      return body.count > 0 ? body : null;
    }, { ms: 30_000, every: 500, what: "the dead letter to be kept" });
    assert.equal(letters.count, 1);
    assert.deepEqual(letters.letters[0].message.entry.raw, event);
    assert.match(letters.letters[0].key, /^dead\/\d{13}-[0-9a-f]{16}$/);
    const refused = await w.fetch("/ops/dead-letters");
    assert.equal(refused.status, 401, "ops only");
  } finally {
    await w.dispose();
  }
});

test("a support number that is also the destination is refused, naming the variable", async () => {
  const w = await startWorker({ vars: { DESTINATION_PHONE_NUMBER: `+${SUPPORT}` } });
  try {
    const health = await (await w.fetch("/healthz", { headers: ops })).json();
    assert.equal(health.status, "degraded");
    const problem = health.problems.find((p) => p.variable === "DESTINATION_PHONE_NUMBER");
    assert.equal(problem.problem, "invalid: expected a number other than SUPPORT_PHONE_NUMBER");
  } finally {
    await w.dispose();
  }
});
