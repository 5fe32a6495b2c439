// The on-demand benchmark (`make bench`, not part of `make test`).
//
// In one run, on loopback only, it starts our Rust worker and a baseline
// JavaScript worker doing the same work (bench/baseline/worker.js: jose over
// WebCrypto, the key imported once per isolate, the NCCO, events written to
// KV), both in workerd with local KV, and reports:
//   - requests/s and p50/p99 latency at a fixed concurrency for /auth,
//     /webhooks/answer and /webhooks/event, with the ratio ours/baseline
//     (the two alternate, round after round, and the ratio is the median of the rounds' pairwise ratios);
//   - the cost per token of each RS256 strategy inside workerd (pure Rust via
//     jwt-compact + rsa, WebCrypto from Rust, jose in JS), from the signer
//     benchmark worker (bench/signers, which links the worker's core and signer);
//   - wasm size (raw, gzip) and cold start (new workerd process → first /auth);
//   - what a Vonage user per call costs a click: /auth making the call's
//     user through the Users API (the stand-in of tests/helpers/vonage-api.mjs,
//     on loopback) against /auth for a shared user (CLIENT_USER, no Users API
//     call), one click at a time, with the loopback round trip beside them.
// Prints a table and writes bench/results/<time>.json.
//
//   node bench/run.mjs [--seconds 2] [--rounds 6] [--concurrency 8] [--parts routes,signing,cold,users,line] [--kv memory,local]
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { gzipSync } from "node:zlib";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { Miniflare, Log, LogLevel } from "miniflare";
import { OPS_TOKEN, defaultVars, root } from "../tests/helpers/worker.mjs";
import { vonageApi } from "../tests/helpers/vonage-api.mjs";
import { testKeys } from "../tests/helpers/keys.mjs";
import { SignJWT } from "jose";
import { createPrivateKey, randomUUID } from "node:crypto";
import { MEMORY_KV, ROUTES, clearTickets, fillTickets, request } from "./lib.mjs";

const { values: opts } = parseArgs({
  options: {
    seconds: { type: "string", default: "2" },
    rounds: { type: "string", default: "6" },
    concurrency: { type: "string", default: "8" },
    routes: { type: "string", default: "auth,answer,event,not_found" },
    kv: { type: "string", default: "memory,local" },
    parts: { type: "string", default: "routes,signing,cold,users,line" },
    "cold-samples": { type: "string", default: "9" },
  },
});
const SECONDS = Number(opts.seconds);
const ROUNDS = Number(opts.rounds);
const parts = new Set(opts.parts.split(","));
const CONCURRENCY = Number(opts.concurrency);
const benchBuild = path.join(root, "target/bench-build");
const baselineBundle = path.join(benchBuild, "baseline.mjs");

function step(message) {
  process.stderr.write(`[bench] ${message}\n`);
}

function buildEverything() {
  const env = { ...process.env, PATH: `${os.homedir()}/.cargo/bin:${process.env.PATH}` };
  if (!existsSync(path.join(root, "build/index.js")) || process.env.BENCH_REBUILD) {
    step("building the worker (scripts/build.sh)");
    execFileSync("sh", ["scripts/build.sh"], { cwd: root, env, stdio: ["ignore", "ignore", "inherit"] });
  }
  // Every part compares with the baseline.
  step("bundling the baseline worker with esbuild");
  execFileSync(path.join(root, "node_modules/.bin/esbuild"), [
    "bench/baseline/worker.js", "--bundle", "--format=esm", "--platform=neutral", "--minify", `--outfile=${baselineBundle}`, "--log-level=warning",
  ], { cwd: root, stdio: "inherit" });
  if (!parts.has("signing")) return;
  step("building the signer benchmark worker (bench/signers: pure-Rust RS256 and the worker's WebCrypto signer)");
  execFileSync("sh", ["scripts/build.sh"], {
    cwd: root, env: { ...env, CRATE_DIR: "bench/signers", OUT_DIR: "target/bench-build" }, stdio: ["ignore", "ignore", "inherit"],
  });
}

let kvMode = "local";
/** The KV binding for the current mode, around one worker's options. */
function withKv(worker) {
  if (kvMode !== "memory") return { ...worker, kvNamespaces: ["CALL_EVENTS"] };
  return {
    workers: [
      { name: "worker", ...worker, wrappedBindings: { CALL_EVENTS: { scriptName: "memory-kv" } } },
      { name: "memory-kv", modules: [{ type: "ESModule", path: "memory-kv.mjs", contents: MEMORY_KV }] },
    ],
  };
}

/** Vonage's Users API, stood in for on loopback (started in main). */
let usersApi = null;

const BASE_VARS = () => ({
  ...defaultVars(),
  GREETING: "Thank you for calling Acme support. Transferring you now.",
  VONAGE_API_URL: usersApi?.origin,
  // One client (the bench) asks for every token.
  MAX_CALLS_PER_CLIENT_HOUR: "10000",
});

/** A worker in its own workerd, with the bench's vars and the current KV mode. */
async function startMiniflare(worker, vars = {}) {
  const mf = new Miniflare({
    port: 0,
    host: "127.0.0.1",
    log: new Log(LogLevel.WARN),
    ...withKv({ modules: true, compatibilityDate: "2025-09-01", bindings: { ...BASE_VARS(), ...vars }, ...worker }),
  });
  const url = (await mf.ready).toString().replace(/\/$/, "");
  return { url, dispose: () => mf.dispose() };
}

const startBaseline = () => startMiniflare({ scriptPath: baselineBundle });

/**
 * Our worker with exactly the baseline's bindings (KV written directly, as
 * with no queue bound; no assets router, no rate limiter), so
 * the comparison is between the two workers' code and nothing else.
 */
const startOurs = (scriptDir = path.join(root, "build"), vars = {}) =>
  startMiniflare({
    scriptPath: path.join(scriptDir, "index.js"),
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
    // The call guard, as deployed (the answer route asks it about every call).
    durableObjects: { CALL_GUARD: { className: "CallGuard", useSQLite: true } },
  }, vars);

const agentFor = () => new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

/** A fixed-concurrency closed loop for `seconds`; latencies of the counted part. */
async function load(url, route, seconds) {
  const agent = agentFor();
  const latencies = [];
  let errors = 0;
  const warmupEnd = Date.now() + 500;
  const end = warmupEnd + seconds * 1000;
  let countedFrom = null;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < end) {
        const r = ROUTES[route]();
        const res = await request(agent, url + r.path, r);
        if (Date.now() < warmupEnd) continue;
        countedFrom ??= Date.now();
        if (res.status !== (r.expect ?? 200)) errors += 1;
        latencies.push(res.ms);
      }
    }),
  );
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
  return { requests: latencies.length, errors, rps: latencies.length / ((Date.now() - countedFrom) / 1000), p50: pct(50), p99: pct(99) };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function perToken(url, strategy, n) {
  const agent = agentFor();
  const time = async (count) => {
    const samples = [];
    for (let i = 0; i < 7; i++) {
      const r = await request(agent, `${url}/bench/sign?strategy=${strategy}&n=${count}`);
      if (r.status !== 200) throw new Error(`/bench/sign ${strategy} answered ${r.status}`);
      samples.push(r.ms);
    }
    return median(samples.slice(2)); // the first two warm the isolate and import the key
  };
  const one = await time(1);
  const many = await time(n);
  agent.destroy();
  // The slope removes the fixed cost of a request.
  return (many - one) / (n - 1);
}

/** New workerd until the first /auth answer; also split into its two parts. */
async function coldStart(start) {
  const t0 = performance.now();
  const w = await start();
  const ready = performance.now() - t0;
  const agent = agentFor();
  const r = await request(agent, `${w.url}/auth`);
  const ms = performance.now() - t0;
  agent.destroy();
  await w.dispose();
  if (r.status !== 200) throw new Error(`cold /auth answered ${r.status}`);
  return { ms, ready, first: ms - ready };
}

/** Alternating A, B, A, B…: the ratio is the median of pairwise ratios. */
async function coldStarts(samples) {
  const ours = [];
  const baseline = [];
  const ratios = [];
  for (let i = 0; i < samples; i++) {
    // A shared user: the worker's own start, not a Users API round trip.
    ours.push(await coldStart(() => startOurs(undefined, { CLIENT_USER: "supportuser" })));
    baseline.push(await coldStart(startBaseline));
    ratios.push(ours.at(-1).ms / baseline.at(-1).ms);
  }
  const part = (runs, key) => median(runs.map((r) => r[key]));
  return {
    ours: part(ours, "ms"), baseline: part(baseline, "ms"), ratio: median(ratios),
    // Workerd start (script load, wasm compile) and the first request (lazy compilation, config, key import).
    ours_ready: part(ours, "ready"), ours_first_request: part(ours, "first"),
    baseline_ready: part(baseline, "ready"), baseline_first_request: part(baseline, "first"),
  };
}

/**
 * A JS worker that makes the Users API request the worker makes (POST
 * /v1/users with an application JWT signed here, once) and nothing else.
 */
async function startLoopbackProbe() {
  const privateKey = createPrivateKey(testKeys().privateKeyPem);
  const jwt = await new SignJWT({ application_id: defaultVars().VONAGE_APPLICATION_ID })
    .setProtectedHeader({ alg: "RS256", typ: "JWT" }).setIssuedAt().setExpirationTime("1h").setJti(randomUUID()).sign(privateKey);
  const script = `export default { async fetch(req, env) {
    if (new URL(req.url).pathname === "/noop") return new Response("ok");
    const res = await fetch(env.USERS + "/v1/users", { method: "POST",
      headers: { authorization: "Bearer " + env.JWT, "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ name: "visitor-" + crypto.randomUUID().replaceAll("-", ""), properties: { ttl: 900 } }) });
    await res.text();
    return new Response(String(res.status), { status: res.status === 201 ? 200 : 502 });
  } }`;
  const mf = new Miniflare({ port: 0, host: "127.0.0.1", log: new Log(LogLevel.WARN), modules: true, compatibilityDate: "2025-09-01", script, bindings: { USERS: usersApi.origin, JWT: jwt } });
  const url = (await mf.ready).toString().replace(/\/$/, "");
  return { url, dispose: () => mf.dispose() };
}

/** One request at a time: the latency of `samples` clicks (median, after a warm-up). */
async function clicks(url, samples) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const ms = [];
  for (let i = 0; i < samples + 20; i++) {
    const r = await request(agent, url);
    if (i >= 20) ms.push(r.ms);
    if (r.status !== 200) throw new Error(`${url} answered ${r.status}`);
  }
  agent.destroy();
  return median(ms);
}

/**
 * A click's /auth with a Vonage user per call (one Users API round trip to
 * the stand-in) against /auth for a shared user, alternating rounds; and
 * the loopback round trip to the stand-in, for the bound the issue sets:
 * per call ≤ 1.5 × shared + one round trip.
 */
async function usersPart(rounds) {
  const [perCall, shared, prober] = await Promise.all([
    startOurs(), startOurs(undefined, { CLIENT_USER: "supportuser" }), startLoopbackProbe(),
  ]);
  try {
    const runs = { per_call: [], shared: [], loopback: [] };
    for (let round = 0; round < rounds; round++) {
      step(`users: round ${round + 1}/${rounds}`);
      runs.per_call.push(await clicks(`${perCall.url}/auth`, 100));
      runs.shared.push(await clicks(`${shared.url}/auth`, 100));
      // The round trip as a worker sees it: a fetch to the stand-in from
      // workerd, less the same request without it.
      runs.loopback.push((await clicks(`${prober.url}/users`, 100)) - (await clicks(`${prober.url}/noop`, 100)));
    }
    const made = usersApi.users.length;
    const r = { per_call_ms: median(runs.per_call), shared_ms: median(runs.shared), loopback_ms: median(runs.loopback), users_made: made };
    r.bound_ms = 1.5 * r.shared_ms + r.loopback_ms;
    r.within_bound = r.per_call_ms <= r.bound_ms;
    return r;
  } finally {
    await Promise.all([perCall.dispose(), shared.dispose(), prober.dispose()]);
  }
}

/**
 * Admissions a second through the one call guard with a waiting line of 10
 * (MAX_CONCURRENT_CALLS=1, MAX_QUEUE=10: after the first eleven calls every
 * answer request finds the line busy and the waiting line full, and is sent
 * to voicemail), against the same guard with no waiting line (MAX_QUEUE=0:
 * every request finds the line busy), rounds alternating. Every request is
 * a fresh ticket, so each is a decision and a write in the guard.
 */
async function linePart(rounds) {
  const vars = { MAX_CONCURRENT_CALLS: "1", MAX_LIVE_CALLS_PER_CLIENT: "100" };
  const [withLine, without] = await Promise.all([
    startOurs(undefined, { ...vars, MAX_QUEUE: "10" }),
    startOurs(undefined, { ...vars, MAX_QUEUE: "0" }),
  ]);
  try {
    const runs = { line: [], none: [] };
    for (let round = 0; round < rounds; round++) {
      step(`waiting line: round ${round + 1}/${rounds}`);
      await fillTickets(Math.ceil(15_000 * SECONDS));
      runs.line.push(await load(withLine.url, "answer", SECONDS));
      clearTickets();
      await fillTickets(Math.ceil(15_000 * SECONDS));
      runs.none.push(await load(without.url, "answer", SECONDS));
      clearTickets();
    }
    // The line the guard held meanwhile, as ops see it.
    const view = await (await fetch(`${withLine.url}/ops/line`, { headers: { authorization: `Bearer ${OPS_TOKEN}` } })).json();
    const pick = (side, key) => median(runs[side].map((r) => r[key]));
    return {
      waiting: view.waiting.length,
      with_line: { rps: pick("line", "rps"), p50_ms: pick("line", "p50"), p99_ms: pick("line", "p99"), errors: runs.line.reduce((a, r) => a + r.errors, 0) },
      without_line: { rps: pick("none", "rps"), p50_ms: pick("none", "p50"), p99_ms: pick("none", "p99"), errors: runs.none.reduce((a, r) => a + r.errors, 0) },
      rps_ratio: median(runs.line.map((r, i) => r.rps / runs.none[i].rps)),
    };
  } finally {
    await Promise.all([withLine.dispose(), without.dispose()]);
  }
}

function size(file) {
  const bytes = readFileSync(file);
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

const fmt = (n, d = 1) => (n >= 100 ? n.toFixed(0) : n.toFixed(d));

async function main() {
  buildEverything();
  usersApi = await vonageApi();
  const results = { date: new Date().toISOString(), machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version }, settings: { seconds: SECONDS, rounds: ROUNDS, concurrency: CONCURRENCY }, routes: {} };

  for (const mode of parts.has("routes") ? opts.kv.split(",") : []) {
  kvMode = mode;
  results.routes[mode] = {};
  step(`starting both workers in workerd (${mode} KV)`);
  const [ours, base] = await Promise.all([startOurs(), startBaseline()]);
  try {
    for (const route of opts.routes.split(",")) {
      const runs = { ours: [], baseline: [] };
      for (let round = 0; round < ROUNDS; round++) {
        step(`${mode} KV, ${route}: round ${round + 1}/${ROUNDS}`);
        if (route === "answer") await fillTickets(Math.ceil(15_000 * SECONDS));
        runs.ours.push(await load(ours.url, route, SECONDS));
        runs.baseline.push(await load(base.url, route, SECONDS));
      }
      const pick = (side, key) => median(runs[side].map((r) => r[key]));
      results.routes[mode][route] = {
        ours: { rps: pick("ours", "rps"), p50_ms: pick("ours", "p50"), p99_ms: pick("ours", "p99"), errors: runs.ours.reduce((a, r) => a + r.errors, 0) },
        baseline: { rps: pick("baseline", "rps"), p50_ms: pick("baseline", "p50"), p99_ms: pick("baseline", "p99"), errors: runs.baseline.reduce((a, r) => a + r.errors, 0) },
      };
      const r = results.routes[mode][route];
      // Pairwise, round by round: a drift of the shared machine hits both sides of a pair alike.
      r.rps_ratio = median(runs.ours.map((o, i) => o.rps / runs.baseline[i].rps));
      r.p99_ratio = median(runs.ours.map((o, i) => o.p99 / runs.baseline[i].p99));
    }
  } finally {
    await Promise.all([ours.dispose(), base.dispose()]);
  }
  }
  kvMode = "memory";

  if (parts.has("signing")) {
    step("signing cost per token inside workerd");
    const variant = await startOurs(benchBuild);
    const baseForSign = await startBaseline();
    try {
      results.signing_ms_per_token = {
        rust_jwt_compact_rsa: await perToken(variant.url, "rust", 8),
        webcrypto_from_rust: await perToken(variant.url, "webcrypto", 40),
        jose_webcrypto_js: await perToken(baseForSign.url, "jose", 40),
      };
    } finally {
      await Promise.all([variant.dispose(), baseForSign.dispose()]);
    }
  }

  if (parts.has("users")) {
    step("a click's /auth: a Vonage user per call against a shared user");
    results.auth_user_per_call = await usersPart(ROUNDS);
  }

  if (parts.has("line")) {
    step("admissions through one call guard with a waiting line of 10");
    results.line = await linePart(ROUNDS);
  }

  if (parts.has("cold")) {
    step("cold starts");
    results.cold_start_ms = await coldStarts(Number(opts["cold-samples"]));
  }

  results.size_bytes = {
    ours_wasm: size(path.join(root, "build/index_bg.wasm")),
    ours_js: size(path.join(root, "build/index.js")),
    ...(existsSync(path.join(benchBuild, "index_bg.wasm")) ? { signer_bench_wasm: size(path.join(benchBuild, "index_bg.wasm")) } : {}),
    baseline_js: size(baselineBundle),
  };

  // The table.
  const lines = [];
  lines.push(`benchmark: ${results.machine.cpus} cores, ${results.machine.model}, node ${results.machine.node}; ${CONCURRENCY} concurrent, ${ROUNDS}×${SECONDS}s per side, loopback`);
  lines.push("");
  lines.push("| KV | route | ours req/s | baseline req/s | ratio | ours p50/p99 ms | baseline p50/p99 ms | p99 ratio |");
  lines.push("|---|---|---|---|---|---|---|---|");
  for (const [mode, routes] of Object.entries(results.routes)) {
    for (const [route, r] of Object.entries(routes)) {
      lines.push(`| ${mode} | ${route} | ${fmt(r.ours.rps)} | ${fmt(r.baseline.rps)} | ${r.rps_ratio.toFixed(2)}× | ${fmt(r.ours.p50_ms, 2)} / ${fmt(r.ours.p99_ms, 2)} | ${fmt(r.baseline.p50_ms, 2)} / ${fmt(r.baseline.p99_ms, 2)} | ${r.p99_ratio.toFixed(2)} |`);
    }
  }
  const s = results.signing_ms_per_token;
  lines.push("");
  if (s) lines.push(`RS256 per token in workerd: pure Rust (jwt-compact + rsa) ${s.rust_jwt_compact_rsa.toFixed(2)} ms; WebCrypto from Rust ${s.webcrypto_from_rust.toFixed(2)} ms; jose (JS) ${s.jose_webcrypto_js.toFixed(2)} ms`);
  const z = results.size_bytes;
  const kib = (b) => `${(b / 1024).toFixed(0)} KiB`;
  const rustSigner = z.signer_bench_wasm ? `; signer benchmark worker (pure-Rust RSA) ${kib(z.signer_bench_wasm.raw)} / ${kib(z.signer_bench_wasm.gzip)}` : "";
  lines.push(`size: ours wasm ${kib(z.ours_wasm.raw)} raw / ${kib(z.ours_wasm.gzip)} gzip (+ JS ${kib(z.ours_js.gzip)} gzip)${rustSigner}; baseline JS ${kib(z.baseline_js.raw)} / ${kib(z.baseline_js.gzip)}`);
  const c = results.cold_start_ms;
  if (c) lines.push(`cold start (new workerd → first /auth): ours ${fmt(c.ours)} ms, baseline ${fmt(c.baseline)} ms, ratio ${c.ratio.toFixed(2)} (workerd ready: ${fmt(c.ours_ready)} vs ${fmt(c.baseline_ready)} ms; first /auth: ${fmt(c.ours_first_request)} vs ${fmt(c.baseline_first_request)} ms)`);
  const u = results.auth_user_per_call;
  if (u) lines.push(`a click's /auth, one at a time: a Vonage user per call ${fmt(u.per_call_ms, 2)} ms (incl. the Users API stand-in), shared user ${fmt(u.shared_ms, 2)} ms, a worker's loopback round trip to it ${fmt(u.loopback_ms, 2)} ms; bound 1.5 × shared + round trip = ${fmt(u.bound_ms, 2)} ms: ${u.within_bound ? "within" : "OVER"}`);
  const l = results.line;
  if (l) lines.push(`one call guard, answer requests (${CONCURRENCY} concurrent): with a waiting line of ${l.waiting} (full: each sent to voicemail) ${fmt(l.with_line.rps)} admissions/s, p50/p99 ${fmt(l.with_line.p50_ms, 2)} / ${fmt(l.with_line.p99_ms, 2)} ms; no waiting line ${fmt(l.without_line.rps)}/s, ${fmt(l.without_line.p50_ms, 2)} / ${fmt(l.without_line.p99_ms, 2)} ms; ratio ${l.rps_ratio.toFixed(2)}`);
  console.log(lines.join("\n"));
  await usersApi.close?.();

  mkdirSync(path.join(root, "bench/results"), { recursive: true });
  const out = path.join(root, "bench/results", `${results.date.replace(/[:.]/g, "-")}.json`);
  writeFileSync(out, JSON.stringify(results, null, 2) + "\n");
  console.log(`\nsaved ${path.relative(root, out)}`);
}

await main();
