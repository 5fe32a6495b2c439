// `make deploy`: from a clone to a working call button, safe to run again.
//
// Reads deploy.env (git-ignored; deploy.env.example documents every input)
// and the environment (which wins), checks every input and both accounts
// before anything is created, then:
//   1. generates the application's key pair locally, once (.deploy/private.key);
//   2. creates the Vonage application (Applications API v2: voice with the
//      answer, event and fallback answer URLs on the worker, signed callbacks
//      on, RTC events to /webhooks/rtc, our public key), or updates the one it
//      created before (its id is kept in .deploy/state.json: never a second);
//   3. links VONAGE_NUMBER to it (Numbers API);
//   4. creates the queues if missing (KV is provisioned by wrangler on deploy);
//   5. deploys the worker with its settings as vars and every secret in one go
//      (the private key, the signature secret, an OPS_TOKEN of 32 random bytes
//      made once);
//   6. checks /healthz and prints the embed snippet, the ops URL and the token.
//
// Vonage is reached at VONAGE_API_URL (default https://api.nexmo.com) and
// VONAGE_REST_URL (default https://rest.nexmo.com), so tests use a stand-in;
// CLOUDFLARE_DRY_RUN=1 makes the Cloudflare side `wrangler deploy --dry-run`
// (no account needed) while the Vonage side runs.
import { execFileSync, spawnSync } from "node:child_process";
import { generateKeyPairSync, randomBytes, createPublicKey } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const stateDir = path.resolve(root, process.env.DEPLOY_STATE_DIR ?? ".deploy");
const statePath = path.join(stateDir, "state.json");
const keyPath = path.join(stateDir, "private.key");

/** Every input, with what it must be. Required ones stop the deploy when missing. */
const INPUTS = {
  VONAGE_API_KEY: { required: true },
  VONAGE_API_SECRET: { required: true, secret: true },
  VONAGE_NUMBER: { required: true },
  DESTINATION_PHONE_NUMBERS: { required: true },
  ALLOWED_ORIGINS: { required: true },
  VONAGE_SIGNATURE_SECRET: { required: true, secret: true },
  PUBLIC_URL: {},
  COMPANY_NAME: {},
  OPENING_HOURS: {},
  TIMEZONE: {},
  // Passed on as they are; the worker checks them (/healthz names a bad one).
  MAX_CONCURRENT_CALLS: {},
  MAX_QUEUE: {},
  MAX_WAIT_SECONDS: {},
  HOLD_MUSIC_URL: {},
  PRE_CALL_FORM: {},
  VONAGE_API_URL: {},
  VONAGE_REST_URL: {},
  CLOUDFLARE_DRY_RUN: {},
};

class Stop extends Error {}
const stop = (message) => {
  throw new Stop(message);
};
const say = (line) => console.log(line);

/** KEY=VALUE lines (optional quotes, # comments), as .env files are written. */
export function parseEnvFile(text) {
  const out = {};
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const at = line.indexOf("=");
    if (at < 1) continue;
    let value = line.slice(at + 1).trim();
    if (/^(["']).*\1$/.test(value)) value = value.slice(1, -1);
    out[line.slice(0, at).trim()] = value;
  }
  return out;
}

function readInputs() {
  const file = path.resolve(root, process.env.DEPLOY_ENV_FILE ?? "deploy.env");
  const fromFile = existsSync(file) ? parseEnvFile(readFileSync(file, "utf8")) : {};
  const inputs = {};
  for (const name of Object.keys(INPUTS)) {
    const value = process.env[name] ?? fromFile[name];
    if (value !== undefined && value !== "") inputs[name] = value;
  }
  const missing = Object.entries(INPUTS).filter(([name, spec]) => spec.required && !inputs[name]).map(([name]) => name);
  if (missing.length) {
    stop(`missing: ${missing.join(", ")}. Set them in deploy.env (see deploy.env.example) or the environment.`);
  }
  return inputs;
}

/** `+44 7700 900000` → `447700900000`, if it is an E.164 number. */
export function e164(raw) {
  const digits = raw.replace(/[\s()-]/g, "").replace(/^\+/, "");
  return /^[1-9]\d{6,14}$/.test(digits) ? digits : null;
}

/** `https://www.example.com` (scheme, host, optional port; nothing else). */
export function origin(raw) {
  try {
    const url = new URL(raw);
    return ["https:", "http:"].includes(url.protocol) && url.origin === raw.replace(/\/$/, "") && !raw.endsWith("/") ? url.origin : null;
  } catch {
    return null;
  }
}

/** Checks every input's form; stops naming the first that is wrong. */
export function validate(inputs) {
  const settings = { ...inputs };
  settings.VONAGE_NUMBER = e164(inputs.VONAGE_NUMBER) ?? stop(`VONAGE_NUMBER: "${inputs.VONAGE_NUMBER}" is not an E.164 number (country code first, e.g. 447700900000)`);
  const destinations = inputs.DESTINATION_PHONE_NUMBERS.split(",").map((n) => n.trim()).filter(Boolean);
  settings.DESTINATION_PHONE_NUMBERS = destinations
    .map((n) => e164(n) ?? stop(`DESTINATION_PHONE_NUMBERS: "${n}" is not an E.164 number (country code first, e.g. 447700900001)`))
    .join(",");
  if (!destinations.length) stop("DESTINATION_PHONE_NUMBERS: name at least one number");
  settings.ALLOWED_ORIGINS = inputs.ALLOWED_ORIGINS.split(",").map((o) => o.trim()).filter(Boolean)
    .map((o) => origin(o) ?? stop(`ALLOWED_ORIGINS: "${o}" is not an origin (scheme and host, optional port, no path), e.g. https://www.example.com`))
    .join(",");
  if (inputs.PUBLIC_URL) {
    const url = origin(inputs.PUBLIC_URL);
    if (!url || !url.startsWith("https://")) stop(`PUBLIC_URL: "${inputs.PUBLIC_URL}" must be the worker's https origin, with no path (e.g. https://calls.example.com)`);
    settings.PUBLIC_URL = url;
  }
  // Vonage: "signature secrets must be no less than 32 bits" (Messages API signed webhooks).
  if (inputs.VONAGE_SIGNATURE_SECRET.length < 4) stop("VONAGE_SIGNATURE_SECRET: shorter than 32 bits; copy it from the dashboard (API settings → signature secret)");
  if (inputs.TIMEZONE) {
    try {
      new Intl.DateTimeFormat("en", { timeZone: inputs.TIMEZONE });
    } catch {
      stop(`TIMEZONE: "${inputs.TIMEZONE}" is not an IANA time zone name (e.g. Europe/London)`);
    }
  }
  for (const name of ["VONAGE_API_URL", "VONAGE_REST_URL"]) {
    if (inputs[name] && !origin(inputs[name])) stop(`${name}: "${inputs[name]}" is not an origin`);
  }
  settings.api = inputs.VONAGE_API_URL ?? "https://api.nexmo.com";
  settings.rest = inputs.VONAGE_REST_URL ?? "https://rest.nexmo.com";
  settings.dryRun = inputs.CLOUDFLARE_DRY_RUN === "1" || inputs.CLOUDFLARE_DRY_RUN === "true";
  return settings;
}

/** Vonage's REST APIs with the account's key and secret. */
function vonage(settings) {
  const basic = `Basic ${Buffer.from(`${settings.VONAGE_API_KEY}:${settings.VONAGE_API_SECRET}`).toString("base64")}`;
  const credentials = { api_key: settings.VONAGE_API_KEY, api_secret: settings.VONAGE_API_SECRET };
  async function call(url, init = {}) {
    let res;
    try {
      res = await fetch(url, init);
    } catch (e) {
      stop(`Vonage could not be reached at ${new URL(url).origin} (${e.cause?.code ?? e.message})`);
    }
    const text = await res.text();
    let body = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    return { status: res.status, body };
  }
  const rest = (p, params = {}) => call(`${settings.rest}${p}?${new URLSearchParams({ ...credentials, ...params })}`);
  return {
    // Account API: GET /account/get-balance (key and secret as query parameters).
    balance: () => rest("/account/get-balance"),
    // Numbers API: GET /account/numbers, the account's own numbers.
    numbers: (pattern) => rest("/account/numbers", { pattern, search_pattern: "0" }),
    // Numbers API: POST /number/update links a number to an application (app_id).
    link: (country, msisdn, appId) =>
      call(`${settings.rest}/number/update`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ ...credentials, country, msisdn, app_id: appId }),
      }),
    // Applications API v2, with Basic authentication.
    application: (id) => call(`${settings.api}/v2/applications/${id}`, { headers: { authorization: basic, accept: "application/json" } }),
    createApplication: (body) =>
      call(`${settings.api}/v2/applications`, { method: "POST", headers: { authorization: basic, "content-type": "application/json", accept: "application/json" }, body: JSON.stringify(body) }),
    updateApplication: (id, body) =>
      call(`${settings.api}/v2/applications/${id}`, { method: "PUT", headers: { authorization: basic, "content-type": "application/json", accept: "application/json" }, body: JSON.stringify(body) }),
  };
}

/** The application as Applications API v2 takes it: our URLs, our key, signed callbacks on. */
export function applicationBody(name, url, publicKey) {
  const hook = (p, method) => ({ address: `${url}${p}`, http_method: method });
  return {
    name,
    capabilities: {
      voice: {
        webhooks: {
          answer_url: hook("/webhooks/answer", "GET"),
          event_url: hook("/webhooks/event", "POST"),
          fallback_answer_url: hook("/webhooks/fallback", "GET"),
        },
        signed_callbacks: true,
      },
      rtc: { webhooks: { event_url: hook("/webhooks/rtc", "POST") } },
    },
    keys: { public_key: publicKey },
  };
}

function readState() {
  return existsSync(statePath) ? JSON.parse(readFileSync(statePath, "utf8")) : {};
}

function writeState(state) {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  writeFileSync(statePath, JSON.stringify(state, null, 2) + "\n", { mode: 0o600 });
}

/** The key pair, made once and kept: a re-run updates the application with the same key. */
function keyPair() {
  if (!existsSync(keyPath)) {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    writeFileSync(keyPath, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
    say(`✓ generated the application's key pair (${path.relative(root, keyPath)}, never committed)`);
  }
  const privateKeyPem = readFileSync(keyPath, "utf8");
  const publicKeyPem = createPublicKey(privateKeyPem).export({ type: "spki", format: "pem" });
  return { privateKeyPem, publicKeyPem };
}

function wrangler(args, { capture = false } = {}) {
  const bin = path.join(root, "node_modules/.bin/wrangler");
  const env = { ...process.env, WRANGLER_SEND_METRICS: "false" };
  const r = spawnSync(bin, args, { cwd: root, env, encoding: "utf8", stdio: capture ? ["ignore", "pipe", "pipe"] : "inherit" });
  return { status: r.status, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

/** wrangler.toml without its [build] step: the worker is built once, here. */
function deployConfig() {
  const text = readFileSync(path.join(root, "wrangler.toml"), "utf8");
  const without = text.replace(/^\[build\][\s\S]*?(?=^\[)/m, "");
  const file = path.join(root, "wrangler.deploy.toml");
  writeFileSync(file, `# Written by scripts/deploy.mjs from wrangler.toml (no [build]: make deploy builds first).\n${without}`);
  return file;
}

async function checkHealth(url) {
  for (let i = 0; i < 15; i++) {
    try {
      const res = await fetch(`${url}/healthz`);
      const body = await res.json().catch(() => null);
      if (body?.status === "ok") return true;
    } catch {
      // not reachable yet: a new worker takes a moment to propagate
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
  return false;
}

async function main() {
  const settings = validate(readInputs());
  const api = vonage(settings);
  const state = readState();

  // Both accounts first: nothing is created when either refuses.
  const balance = await api.balance();
  if (balance.status === 401) stop("VONAGE_API_KEY / VONAGE_API_SECRET: Vonage refused them (401); copy both from the dashboard's API settings");
  if (balance.status !== 200) stop(`Vonage's account API answered ${balance.status} to the balance check`);
  say(`✓ Vonage account ${settings.VONAGE_API_KEY} (balance ${balance.body?.value ?? "?"})`);
  const owned = await api.numbers(settings.VONAGE_NUMBER);
  const number = owned.body?.numbers?.find((n) => n.msisdn === settings.VONAGE_NUMBER);
  if (!number) stop(`VONAGE_NUMBER: ${settings.VONAGE_NUMBER} is not a number of this Vonage account (buy or rent one in the dashboard, then run again)`);
  say(`✓ VONAGE_NUMBER ${settings.VONAGE_NUMBER} (${number.country}) is the account's`);
  if (!settings.dryRun) {
    const who = wrangler(["whoami"], { capture: true });
    if (who.status !== 0 || /not authenticated/i.test(who.out)) stop("Cloudflare: not logged in; run `npx wrangler login` (or set CLOUDFLARE_API_TOKEN), then run again");
    say("✓ Cloudflare account");
  }

  const publicUrl = settings.PUBLIC_URL ?? state.public_url;
  if (!publicUrl && settings.dryRun) stop("PUBLIC_URL: set it for a dry run (the worker's URL is known only once it is deployed)");

  const { privateKeyPem, publicKeyPem } = keyPair();
  const opsToken = state.ops_token ?? randomBytes(32).toString("hex");
  writeState({ ...state, ops_token: opsToken });

  if (!process.env.DEPLOY_SKIP_BUILD) {
    say("… building the worker (scripts/build.sh)");
    execFileSync("sh", ["scripts/build.sh"], { cwd: root, stdio: "inherit" });
  }
  const config = deployConfig();
  const out = mkdtempSync(path.join(tmpdir(), "deploy-"));
  const deploy = (vars, secrets) => {
    const args = ["deploy", "--config", config];
    for (const [k, v] of Object.entries(vars)) if (v !== undefined) args.push("--var", `${k}:${v}`);
    if (secrets) {
      const file = path.join(out, "secrets.json");
      writeFileSync(file, JSON.stringify(secrets), { mode: 0o600 });
      args.push("--secrets-file", file);
    }
    if (settings.dryRun) args.push("--dry-run", "--outdir", path.join(out, "dist"));
    const r = wrangler(args, { capture: true });
    rmSync(path.join(out, "secrets.json"), { force: true });
    if (r.status !== 0) stop(`wrangler deploy failed:\n${r.out.replace(/[^\n]*secret[^\n]*\n?/gi, "")}`);
    return r.out;
  };

  try {
    let url = publicUrl;
    if (!settings.dryRun) {
      for (const queue of ["call-events", "call-events-dlq"]) {
        const list = wrangler(["queues", "list"], { capture: true });
        if (!list.out.includes(queue)) {
          const made = wrangler(["queues", "create", queue], { capture: true });
          if (made.status !== 0) stop(`creating the queue ${queue} failed:\n${made.out}`);
          say(`✓ created the queue ${queue}`);
        }
      }
      if (!url) {
        // First run without PUBLIC_URL: deploy once to learn the workers.dev URL.
        const first = deploy({}, null);
        url = first.match(/https:\/\/[\w.-]+\.workers\.dev/)?.[0] ?? stop("the first deploy printed no workers.dev URL; set PUBLIC_URL and run again");
        say(`✓ the worker is at ${url}`);
      }
    }

    // The Vonage application: the one made before, else a new one.
    const name = `${settings.COMPANY_NAME ?? "edge click-to-call"} (click to call)`;
    const body = applicationBody(name, url, publicKeyPem);
    let appId = state.application_id;
    if (appId) {
      const found = await api.application(appId);
      if (found.status === 404) {
        say(`! the application ${appId} made before is gone; making a new one`);
        appId = null;
      } else if (found.status !== 200) {
        stop(`Vonage's Applications API answered ${found.status} for ${appId}`);
      }
    }
    if (appId) {
      const updated = await api.updateApplication(appId, body);
      if (updated.status !== 200) stop(`updating the application ${appId} failed: ${updated.status} ${JSON.stringify(updated.body)}`);
      say(`✓ updated the Vonage application ${appId}`);
    } else {
      const created = await api.createApplication(body);
      if (created.status !== 201 || !created.body?.id) stop(`creating the Vonage application failed: ${created.status} ${JSON.stringify(created.body)}`);
      appId = created.body.id;
      say(`✓ created the Vonage application ${appId}`);
    }
    writeState({ ...readState(), application_id: appId, public_url: url });

    const linked = await api.link(number.country, settings.VONAGE_NUMBER, appId);
    const code = linked.body?.["error-code"];
    if (linked.status !== 200 || (code !== undefined && code !== "200")) stop(`linking ${settings.VONAGE_NUMBER} to the application failed: ${linked.status} ${JSON.stringify(linked.body)}`);
    say(`✓ linked ${settings.VONAGE_NUMBER} to it`);

    const vars = {
      VONAGE_APPLICATION_ID: appId,
      SUPPORT_PHONE_NUMBER: settings.VONAGE_NUMBER,
      DESTINATION_PHONE_NUMBERS: settings.DESTINATION_PHONE_NUMBERS,
      ALLOWED_ORIGINS: settings.ALLOWED_ORIGINS,
      COMPANY_NAME: settings.COMPANY_NAME,
      OPENING_HOURS: settings.OPENING_HOURS,
      TIMEZONE: settings.TIMEZONE,
      MAX_CONCURRENT_CALLS: settings.MAX_CONCURRENT_CALLS,
      MAX_QUEUE: settings.MAX_QUEUE,
      MAX_WAIT_SECONDS: settings.MAX_WAIT_SECONDS,
      HOLD_MUSIC_URL: settings.HOLD_MUSIC_URL,
      PRE_CALL_FORM: settings.PRE_CALL_FORM,
      VONAGE_API_URL: settings.VONAGE_API_URL,
    };
    const secrets = { VONAGE_PRIVATE_KEY: privateKeyPem, VONAGE_SIGNATURE_SECRET: settings.VONAGE_SIGNATURE_SECRET, OPS_TOKEN: opsToken };
    deploy(vars, secrets);
    say(settings.dryRun ? "✓ wrangler deploy --dry-run: the worker, its vars and its secrets check out (nothing uploaded)" : "✓ deployed the worker with its settings and secrets");

    if (!settings.dryRun) {
      if (await checkHealth(url)) say(`✓ ${url}/healthz says ok`);
      else stop(`${url}/healthz does not say ok yet; ask it with the ops token for the details: curl -H "Authorization: Bearer $OPS_TOKEN" ${url}/healthz`);
    }
    say("");
    say("Add the call button to your site:");
    say(`  <script src="${url}/embed.js" async></script>`);
    say(`Ops: ${url}/ops.html`);
    say(`Ops token (also in ${path.relative(root, statePath)}): ${opsToken}`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    if (e instanceof Stop) {
      console.error(`make deploy: ${e.message}`);
      process.exit(2);
    }
    throw e;
  });
}
