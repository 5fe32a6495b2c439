// Load test of the event log: N events from many simulated calls, posted
// concurrently to a worker, then read back through the ops API. Reports how
// many were stored, lost and duplicated, and the posting rate.
//
//   node bench/load.mjs [--events 10000] [--concurrency 64] [--url http://127.0.0.1:8787 --ops-token …]
//
// Without --url it starts the built worker in workerd itself (loopback only).
// The test suite runs it with a smaller N (tests/integration/event-log.test.mjs).
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { newCall, callEvents } from "../tests/helpers/scenarios.mjs";

function plan(events, day) {
  const base = Date.parse(`${day}T01:00:00Z`);
  const bodies = [];
  for (let i = 0; bodies.length < events; i++) {
    const call = newCall({ scenario: ["completed", "busy", "unanswered", "cancelled", "failed"][i % 5], start: base + i * 2000 });
    for (const e of callEvents(call)) if (bodies.length < events) bodies.push(e);
  }
  // Vonage does not deliver in order, and many calls run at once.
  for (let i = bodies.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [bodies[i], bodies[j]] = [bodies[j], bodies[i]];
  }
  return bodies;
}

async function pool(items, concurrency, fn) {
  let next = 0;
  const workers = Array.from({ length: concurrency }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  });
  await Promise.all(workers);
}

async function readBack(url, opsToken, day) {
  const headers = { authorization: `Bearer ${opsToken}` };
  const callIds = [];
  let cursor = null;
  do {
    const q = new URLSearchParams({ day, limit: "1000" });
    if (cursor) q.set("cursor", cursor);
    const page = await (await fetch(`${url}/ops/calls?${q}`, { headers })).json();
    callIds.push(...page.calls.map((c) => c.call_id));
    cursor = page.cursor;
  } while (cursor);
  const entries = [];
  await pool(callIds, 16, async (id) => {
    const view = await (await fetch(`${url}/ops/calls/${id}`, { headers })).json();
    entries.push(...(view.events ?? []));
  });
  return entries;
}

const identity = (e) => `${e.uuid}|${e.status}|${e.timestamp}`;

export async function loadTest({ url, events = 10_000, concurrency = 64, opsToken, day = "2026-01-03", settleMs = 120_000 }) {
  const bodies = plan(events, day);
  const expected = new Set(bodies.map(identity));
  let failedPosts = 0;
  const t0 = performance.now();
  await pool(bodies, concurrency, async (body) => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const res = await fetch(`${url}/webhooks/event`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      await res.arrayBuffer();
      if (res.ok) return;
      if (res.status < 500) break; // a 4xx would be our bug: count it, do not retry
    }
    failedPosts += 1;
  });
  const postSeconds = (performance.now() - t0) / 1000;

  // The consumer writes asynchronously: read back until everything is there or time runs out.
  const deadline = Date.now() + settleMs;
  let entries = [];
  while (Date.now() < deadline) {
    entries = await readBack(url, opsToken, day);
    if (entries.length >= events) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const seen = entries.map((e) => identity(e.raw));
  const distinct = new Set(seen.filter((id) => expected.has(id)));
  return {
    events,
    calls: new Set(bodies.map((b) => b.conversation_uuid)).size,
    failedPosts,
    postSeconds,
    eventsPerSecond: events / postSeconds,
    stored: distinct.size,
    lost: expected.size - distinct.size,
    duplicated: seen.length - new Set(seen).size,
    settledSeconds: (performance.now() - t0) / 1000 - postSeconds,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      events: { type: "string", default: "10000" },
      concurrency: { type: "string", default: "64" },
      url: { type: "string" },
      "ops-token": { type: "string" },
    },
  });
  let worker;
  let url = values.url;
  let opsToken = values["ops-token"];
  if (!url) {
    const { startWorker, OPS_TOKEN } = await import("../tests/helpers/worker.mjs");
    worker = await startWorker();
    url = worker.url;
    opsToken = OPS_TOKEN;
  }
  try {
    const report = await loadTest({ url, opsToken, events: Number(values.events), concurrency: Number(values.concurrency) });
    console.log(JSON.stringify(report, null, 2));
    console.log(`${report.events} events from ${report.calls} calls: ${report.eventsPerSecond.toFixed(0)} events/s posted; ` +
      `stored ${report.stored}, lost ${report.lost}, duplicated ${report.duplicated}, failed posts ${report.failedPosts}`);
    process.exitCode = report.lost || report.duplicated || report.failedPosts ? 1 : 0;
  } finally {
    await worker?.dispose();
  }
}
