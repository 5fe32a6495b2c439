// Secrets never leave the worker: not in a response, not in a log line.
// Every worker these tests start (startWorker) checks every response it
// served and every line it logged when it is disposed, so the whole
// integration suite is a leak check; this file adds the paths most likely to
// leak: errors about the secrets themselves.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startWorker, SIGNATURE_SECRET, OPS_TOKEN } from "../helpers/worker.mjs";

const requests = [
  ["/healthz"], ["/auth"], ["/auth/supportuser"], ["/auth/nobody"], ["/config.json"],
  ["/webhooks/answer?uuid=63f61863-4a51-4f6b-86e1-46edebcf9356"],
  ["/webhooks/event", { method: "POST", headers: { "content-type": "application/json" }, body: '{"uuid":"63f61863-4a51-4f6b-86e1-46edebcf9356"}' }],
  ["/webhooks/event", { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${OPS_TOKEN}` }, body: "{}" }],
  ["/ops/calls", { headers: { authorization: `Bearer ${SIGNATURE_SECRET}` } }],
  ["/ops/calls", { headers: { authorization: `Bearer ${OPS_TOKEN}` } }],
  ["/nope"],
];

async function sweep(w) {
  for (const [path, init] of requests) await (await w.fetch(path, init)).arrayBuffer();
  await new Promise((r) => setTimeout(r, 300));
  return w.leaks();
}

test("a fully configured worker with signature checking leaks nothing", async () => {
  const w = await startWorker({ vars: { VONAGE_SIGNATURE_SECRET: SIGNATURE_SECRET } });
  try {
    assert.deepEqual(await sweep(w), []);
  } finally {
    await w.dispose();
  }
});

test("malformed secrets are described by form, never echoed", async () => {
  const keyLike = "-----BEGIN PRIVATE KEY-----\nTHIS-IS-SECRET-KEY-MATERIAL-0123456789abcdefghijklmnopqrstuv\n-----END PRIVATE KEY-----";
  const vars = {
    VONAGE_PRIVATE_KEY: keyLike,
    VONAGE_SIGNATURE_SECRET: "abc", // under Vonage's 32 bits: refused by form
  };
  const w = await startWorker({ vars });
  try {
    const health = await (await w.fetch("/healthz", { headers: { authorization: `Bearer ${OPS_TOKEN}` } })).json();
    const names = health.problems.map((p) => p.variable);
    assert.deepEqual(names, ["VONAGE_PRIVATE_KEY", "VONAGE_SIGNATURE_SECRET"]);
    assert.match(health.problems[0].problem, /well-formed private key|PEM/);
    const auth = await (await w.fetch("/auth")).json();
    assert.match(auth.error.message, /VONAGE_PRIVATE_KEY is invalid/);
    const leaks = await sweep(w);
    assert.deepEqual(leaks, []);
    const everything = JSON.stringify(health) + JSON.stringify(auth) + w.logs.join("\n");
    for (const value of Object.values(vars)) assert.ok(!everything.includes(value));
    assert.ok(!everything.includes("THIS-IS-SECRET-KEY-MATERIAL"));
  } finally {
    await w.dispose();
  }
});

test("a malformed ops token is never echoed, and switches the detailed report off", async () => {
  const w = await startWorker({ vars: { OPS_TOKEN: "tiny-ops-tok" } });
  try {
    const health = await (await w.fetch("/healthz", { headers: { authorization: "Bearer tiny-ops-tok" } })).json();
    assert.deepEqual(health, { status: "degraded" }, "the detail needs a valid ops token");
    assert.deepEqual(await sweep(w), []);
    assert.ok(!w.logs.join("\n").includes("tiny-ops-tok"));
  } finally {
    await w.dispose();
  }
});
