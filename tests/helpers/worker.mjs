// Starts the built worker (build/index.js + wasm) in workerd through Miniflare,
// with the bindings wrangler.toml declares (KV, Queue, rate limiter, assets),
// the [vars] it sets, and test secrets instead of .dev.vars.
import { fileURLToPath } from "node:url";
import { existsSync } from "node:fs";
import path from "node:path";
import { Miniflare, Log, LogLevel } from "miniflare";
import { unstable_getMiniflareWorkerOptions, unstable_readConfig } from "wrangler";
import { testKeys } from "./keys.mjs";
import { vonageApi } from "./vonage-api.mjs";

process.env.WRANGLER_SEND_METRICS = "false";
process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const configPath = path.join(root, "wrangler.toml");
const scriptPath = path.join(root, "build/index.js");

export const APP_ID = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";
export const OPS_TOKEN = "ops-token-for-tests-0123456789abcdef";
export const SIGNATURE_SECRET = "signature-secret-for-tests-0123456789";
export const SUPPORT = "447700900000";
export const DESTINATION = "447700900001";

export const SECRET_NAMES = ["VONAGE_PRIVATE_KEY", "VONAGE_SIGNATURE_SECRET", "OPS_TOKEN"];

/** What must never leave the worker: each secret, and runs of a PEM's body. */
export function secretNeedles(values) {
  return values.filter(Boolean).flatMap((v) => (v.includes("-----BEGIN") ? [v, ...pemBody(v)] : [v]));
}

/** The secrets a worker started by these helpers may know. */
export function secretValues() {
  return secretNeedles([OPS_TOKEN, SIGNATURE_SECRET, testKeys().privateKeyPem, testKeys().pkcs1Pem]);
}

/** Long runs of the key's base64 body, so a partial leak is caught too. */
function pemBody(pem) {
  const body = pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
  const chunks = [];
  for (let i = 0; i + 40 <= body.length; i += 40) chunks.push(body.slice(i, i + 40));
  return chunks;
}

export function defaultVars() {
  return {
    VONAGE_APPLICATION_ID: APP_ID,
    VONAGE_PRIVATE_KEY: testKeys().privateKeyPem,
    SUPPORT_PHONE_NUMBER: SUPPORT,
    DESTINATION_PHONE_NUMBER: DESTINATION,
    OPS_TOKEN,
    // Most tests post unsigned webhooks on purpose; the signed path has its
    // own workers (VONAGE_SIGNATURE_SECRET), and the unsigned refusals too.
    ALLOW_UNSIGNED_WEBHOOKS: "true",
    // Most tests place their calls as one test client, each call left
    // connected; the cap of one live call per client has tests of its own.
    MAX_LIVE_CALLS_PER_CLIENT: "100",
  };
}

const allLogs = [];
/** Every line any worker started here has printed (for the leak check). */
export function capturedLogs() {
  return allLogs;
}

/**
 * options.vars: merged over wrangler.toml's [vars] and the test secrets;
 *   a value of `undefined` removes the variable.
 * options.queue: false binds no queue, so the webhook writes to KV itself
 *   (a deployment whose queues were not created).
 * options.rateLimit: { limit, period } for /auth (default: generous).
 * options.callbackRateLimit: the same for /callbacks.
 * options.kvWrapper: script source of a module whose default export wraps the
 *   KV namespace (a test double that can fail), bound as CALL_EVENTS.
 * options.maxRetries: the call-events consumer's max_retries (default
 *   wrangler.toml's), to reach the dead-letter queue in a test's time.
 * Each worker gets Vonage's REST APIs on a local port of its own
 * (helpers/vonage-api.mjs: a user per call, recordings) as VONAGE_API_URL,
 * unless options.vars sets VONAGE_API_URL; it is `w.vonage`.
 */
export async function startWorker(options = {}) {
  if (!existsSync(scriptPath)) {
    throw new Error("build/index.js is missing: run `make build` (or `make test`) first");
  }
  const { workerOptions } = unstable_getMiniflareWorkerOptions(configPath);
  const config = unstable_readConfig({ config: configPath });
  if (options.queue === false) {
    delete workerOptions.queueProducers;
    delete workerOptions.queueConsumers;
  }
  const vonage = options.vars && "VONAGE_API_URL" in options.vars ? null : await vonageApi({ applicationId: APP_ID });
  const bindings = { ...config.vars, ...defaultVars(), ...(vonage ? { VONAGE_API_URL: vonage.origin } : {}), ...(options.vars ?? {}) };
  for (const [k, v] of Object.entries(bindings)) if (v === undefined) delete bindings[k];

  const logs = [];
  const worker = {
    ...workerOptions,
    name: "edge-click-to-call",
    scriptPath,
    modules: true,
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
    bindings,
  };
  if (options.maxRetries !== undefined && worker.queueConsumers?.["call-events"]) {
    worker.queueConsumers["call-events"].maxRetries = options.maxRetries;
  }
  if (worker.ratelimits?.AUTH_RATE_LIMITER) {
    worker.ratelimits.AUTH_RATE_LIMITER.simple = options.rateLimit ?? { limit: 10_000, period: 60 };
  }
  if (worker.ratelimits?.CALLBACK_RATE_LIMITER) {
    worker.ratelimits.CALLBACK_RATE_LIMITER.simple = options.callbackRateLimit ?? { limit: 10_000, period: 60 };
  }
  const workers = [worker];
  if (options.kvWrapper) {
    delete worker.kvNamespaces.CALL_EVENTS;
    worker.wrappedBindings = {
      CALL_EVENTS: { scriptName: "kv-wrapper", bindings: {} },
    };
    workers.push({
      name: "kv-wrapper",
      modules: [{ type: "ESModule", path: "kv-wrapper.mjs", contents: options.kvWrapper }],
      kvNamespaces: { INNER: "CALL_EVENTS" },
    });
  }

  const mf = new Miniflare({
    workers,
    port: 0,
    host: "127.0.0.1",
    log: new Log(process.env.MINIFLARE_LOG === "debug" ? LogLevel.DEBUG : LogLevel.WARN),
    handleStructuredLogs: ({ level, message }) => {
      const line = `${level}: ${message}`;
      logs.push(line);
      allLogs.push(line);
    },
  });
  const url = (await mf.ready).toString().replace(/\/$/, "");
  const kv = options.kvWrapper ? null : await mf.getKVNamespace("CALL_EVENTS");
  const secrets = secretValues().concat(secretNeedles(SECRET_NAMES.map((name) => bindings[name])));
  const leaks = [];
  return {
    url,
    mf,
    kv,
    logs,
    vonage,
    /** fetch against the worker; every response body is checked for secrets. */
    async fetch(p, init) {
      const res = await fetch(url + p, init);
      const text = await res.clone().text();
      if (secrets.some((s) => text.includes(s))) leaks.push(`response to ${init?.method ?? "GET"} ${p.slice(0, 60)}`);
      return res;
    },
    /** Responses or log lines that contained a secret (descriptions only). */
    leaks() {
      const inLogs = logs.filter((line) => secrets.some((s) => line.includes(s))).map((line) => `log line of ${line.length} chars`);
      return leaks.concat(inLogs);
    },
    /** All keys in the event log (optionally under a prefix). */
    async keys(prefix = "") {
      const ns = kv ?? (await mf.getKVNamespace("INNER", "kv-wrapper"));
      const names = [];
      let cursor;
      do {
        const page = await ns.list({ prefix, cursor });
        names.push(...page.keys.map((k) => k.name));
        cursor = page.list_complete ? undefined : page.cursor;
      } while (cursor);
      return names;
    },
    async dispose() {
      await mf.dispose();
      await vonage?.close();
      const found = this.leaks();
      if (found.length) throw new Error(`a secret appeared in: ${found.join("; ")}`);
    },
  };
}

/**
 * Polls `check` until it returns a truthy value, and returns that value;
 * throws when `ms` pass first, saying what was awaited (`what`, else the
 * check's source) and what the check last returned.
 */
export async function eventually(check, { ms = 10_000, every = 50, what } = {}) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    last = await check();
    if (last) return last;
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, every));
  }
  const awaited = what ?? String(check).replace(/\s+/g, " ").slice(0, 120);
  throw new Error(`timed out after ${ms} ms waiting for ${awaited} (last: ${JSON.stringify(last)})`);
}
