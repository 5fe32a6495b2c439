// Where a route's time goes inside workerd: a V8 CPU profile of our worker
// under load, summed by function (self time). On demand, like run.mjs.
//
//   node bench/profile.mjs [--route event] [--seconds 4] [--top 40] [--baseline]
//
// --baseline profiles the JS baseline worker (bench/baseline, bundled by
// run.mjs into target/bench-build/baseline.mjs) instead, for comparison.
//
// It builds the worker with its wasm function names kept (KEEP_NAMES=1, into
// target/profile-build), starts it in workerd with the in-memory KV of
// run.mjs and an inspector port, and drives the route at 8 concurrent
// requests while the profiler samples.
import { execFileSync } from "node:child_process";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { Miniflare, Log, LogLevel } from "miniflare";
import WebSocket from "ws";
import { defaultVars, root } from "../tests/helpers/worker.mjs";
import { MEMORY_KV, ROUTES, fillTickets, request } from "./lib.mjs";

const { values: opts } = parseArgs({
  options: {
    route: { type: "string", default: "event" },
    seconds: { type: "string", default: "4" },
    top: { type: "string", default: "40" },
    "no-build": { type: "boolean", default: false },
    baseline: { type: "boolean", default: false },
  },
});
const outDir = path.join(root, "target/profile-build");
const INSPECTOR_PORT = 9339;

const script = opts.baseline
  ? { scriptPath: path.join(root, "target/bench-build/baseline.mjs") }
  : { scriptPath: path.join(outDir, "index.js"), modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }] };
if (!opts["no-build"] && !opts.baseline) {
  process.stderr.write("[profile] building the worker with function names (KEEP_NAMES=1)\n");
  execFileSync("sh", ["scripts/build.sh"], {
    cwd: root,
    env: { ...process.env, PATH: `${os.homedir()}/.cargo/bin:${process.env.PATH}`, OUT_DIR: "target/profile-build", KEEP_NAMES: "1" },
    stdio: ["ignore", "ignore", "inherit"],
  });
}

const mf = new Miniflare({
  port: 0,
  host: "127.0.0.1",
  inspectorPort: INSPECTOR_PORT,
  log: new Log(LogLevel.WARN),
  workers: [
    {
      name: "worker", modules: true, compatibilityDate: "2025-09-01", bindings: defaultVars(),
      ...script,
      durableObjects: opts.baseline ? undefined : { CALL_GUARD: { className: "CallGuard", useSQLite: true } },
      wrappedBindings: { CALL_EVENTS: { scriptName: "memory-kv" } },
    },
    { name: "memory-kv", modules: [{ type: "ESModule", path: "memory-kv.mjs", contents: MEMORY_KV }] },
  ],
});
const url = (await mf.ready).toString().replace(/\/$/, "");

const targets = await (await fetch(`http://127.0.0.1:${INSPECTOR_PORT}/json`)).json();
const target = targets.find((t) => t.title?.includes("worker") || t.url?.includes("worker")) ?? targets[0];
const ws = new WebSocket(target.webSocketDebuggerUrl);
await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
let id = 0;
const pending = new Map();
ws.on("message", (data) => {
  const msg = JSON.parse(data);
  if (msg.id && pending.has(msg.id)) {
    pending.get(msg.id)(msg);
    pending.delete(msg.id);
  }
});
const send = (method, params = {}) =>
  new Promise((resolve) => {
    const n = ++id;
    pending.set(n, resolve);
    ws.send(JSON.stringify({ id: n, method, params }));
  });

const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
async function drive(ms) {
  const end = Date.now() + ms;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (Date.now() < end) {
      const r = ROUTES[opts.route]();
      await request(agent, url + r.path, r);
    }
  }));
}

if (opts.route === "answer") await fillTickets(40_000);
await drive(1000); // warm up: compile, import keys, fill caches
await send("Profiler.enable");
await send("Profiler.setSamplingInterval", { interval: 50 });
await send("Profiler.start");
await drive(Number(opts.seconds) * 1000);
const { result } = await send("Profiler.stop");
ws.close();
agent.destroy();
await mf.dispose();

// Self time by function: each sample is attributed to its leaf node.
const { nodes, samples, timeDeltas } = result.profile;
const byId = new Map(nodes.map((n) => [n.id, n]));
const self = new Map();
let total = 0;
samples.forEach((nodeId, i) => {
  const n = byId.get(nodeId);
  const name = `${n.callFrame.functionName || "(anonymous)"} ${n.callFrame.url ? path.basename(n.callFrame.url) : ""}`.trim();
  const dt = timeDeltas[i] ?? 0;
  self.set(name, (self.get(name) ?? 0) + dt);
  total += dt;
});
const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(opts.top));
console.log(`route ${opts.route}: ${(total / 1000).toFixed(0)} ms sampled`);
for (const [name, us] of rows) console.log(`${((us / total) * 100).toFixed(1).padStart(5)}%  ${name.slice(0, 110)}`);
