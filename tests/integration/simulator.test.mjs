// The Vonage simulator (src/bin/simulate.rs) against the worker in workerd,
// once per scenario file: its exit code and the timeline it prints.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync, mkdtempSync, existsSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { startWorker, defaultVars, root, SIGNATURE_SECRET } from "../helpers/worker.mjs";

const run = promisify(execFile);
const simulator = path.join(root, "target/debug/simulate");
const scenarioDir = path.join(root, "tests/scenarios");
const scenarios = readdirSync(scenarioDir).filter((f) => f.endsWith(".json")).sort();

/** A .dev.vars the simulator reads, as a developer's would be. */
function devVars(vars) {
  const dir = mkdtempSync(path.join(tmpdir(), "simulate-"));
  const file = path.join(dir, ".dev.vars");
  writeFileSync(file, Object.entries(vars).map(([k, v]) => `${k}="${v.replaceAll("\n", "\\n")}"`).join("\n") + "\n");
  return file;
}

async function simulate(url, varsFile, ...args) {
  try {
    const { stdout } = await run(simulator, ["--url", url, "--dev-vars", varsFile, ...args], { cwd: root, env: { PATH: process.env.PATH } });
    return { code: 0, stdout };
  } catch (e) {
    return { code: e.code, stdout: e.stdout ?? "", stderr: e.stderr };
  }
}

/** A port nothing listens on, for the simulator's media API. */
async function freePort() {
  const server = createServer().listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

before(() => {
  assert.ok(existsSync(simulator), "target/debug/simulate is missing: scripts/test.sh builds it (cargo build --bin simulate)");
});

// Four deployments, so every scenario has the settings it needs: the
// default (one number, always open), a ring list, one closed right now
// (every day closed, today and the next days listed in CLOSED_DATES), and
// one line (the waiting line's scenario).
const RING_LIST = "447700900001,447700900002";
const closedDays = () => [0, 1, 2, 3].map((d) => new Date(Date.now() + d * 86_400_000).toISOString().slice(0, 10)).join(",");
// Every one has the simulator stand in for Vonage's Users and media APIs
// (VONAGE_API_URL on a free port), so it sees the per-call users /auth makes.
const vonageApi = async () => ({ VONAGE_API_URL: `http://127.0.0.1:${await freePort()}` });
const deployments = {
  default: vonageApi,
  ring_list: async () => ({ DESTINATION_PHONE_NUMBER: undefined, DESTINATION_PHONE_NUMBERS: RING_LIST, ...(await vonageApi()) }),
  closed: async () => ({ OPENING_HOURS: "Mon-Sun 09:00-17:00", CLOSED_DATES: closedDays(), ...(await vonageApi()) }),
  // The waiting line: one line, so a third caller waits behind a second.
  one_line: async () => ({ MAX_CONCURRENT_CALLS: "1", ...(await vonageApi()) }),
};
const deploymentOf = (scenario) =>
  ["closed", "ring_list", "one_line"].find((need) => scenario.requires?.includes(need)) ?? "default";

describe("with signed webhooks", () => {
  const running = {};
  before(async () => {
    for (const [name, vars] of Object.entries(deployments)) {
      const extra = { VONAGE_SIGNATURE_SECRET: SIGNATURE_SECRET, ...(await vars()) };
      const worker = await startWorker({ vars: extra });
      const all = { ...defaultVars(), ...extra };
      for (const [k, v] of Object.entries(all)) if (v === undefined) delete all[k];
      running[name] = { worker, vars: devVars(all) };
    }
  });
  after(async () => {
    for (const { worker } of Object.values(running)) await worker.dispose();
  });

  for (const file of scenarios) {
    const scenario = JSON.parse(readFileSync(path.join(scenarioDir, file), "utf8"));
    test(`scenario ${scenario.name}`, async () => {
      const { worker, vars } = running[deploymentOf(scenario)];
      const { code, stdout } = await simulate(worker.url, vars, "--scenario", path.join(scenarioDir, file));
      assert.equal(code, 0, stdout);
      if (scenario.line) {
        // Three callers, one line (tools/simulate/src/line.rs).
        assert.match(stdout, /✓ first caller: NCCO: talk "[^"]+", then connect 447700900000 → 447700900001/);
        assert.match(stdout, /✓ second caller: NCCO: on hold, talk "All our lines are busy\. You are number 1 in line\.[^"]*", then http:\/\/[^ ]+\/audio\/hold\.wav looped \d+×, then voicemail/);
        assert.match(stdout, /✓ third caller: NCCO: on hold, talk "[^"]*number 2 in line[^"]*"/);
        assert.match(stdout, /✓ second caller's page: number 1 in line, about \d+ s/);
        assert.match(stdout, /✓ third caller's page: number 2 in line/);
        assert.match(stdout, /✓ first hung up: the second moved on \(Voice API transfer, PUT \/v1\/calls\/[0-9a-f-]{36}\): NCCO: talk "[^"]+", then connect 447700900000 → 447700900001/);
        assert.match(stdout, /✓ third caller's page: number 1 in line now/);
        assert.match(stdout, /✓ callback request \d{13}-[0-9a-f]{16} taken \(201\), listed for ops, marked done/);
        assert.match(stdout, /✓ third caller hung up: out of the line at once/);
        assert.match(stdout, /RESULT: 1 scenarios passed, 0 failed, 0 skipped; 0 deviations/);
        return;
      }
      // One Vonage user per call, made through the (stand-in) Users API.
      const user = stdout.match(/✓ RS256 token for "(visitor-[0-9a-f]{32})" verifies/)?.[1];
      assert.ok(user, stdout);
      assert.match(stdout, new RegExp(`✓ /auth created Vonage user "${user}" for the call through the Users API \\(properties\\.ttl 900 s\\)`));
      const answer = scenario.expect.answer ?? "connect";
      const fallback = scenario.answer_path === "/webhooks/fallback";
      if (answer === "connect") {
        assert.match(stdout, /✓ NCCO: talk "Thank you for calling Acme support\. Transferring you now\.", then connect 447700900000 → 447700900001/);
      } else if (fallback) {
        assert.match(stdout, /✓ NCCO: talk "Sorry, no one can take your call right now\. Please leave a message after the tone[^"]*", then record \(beep, ends on 3 s of silence, at most 120 s\) → \/webhooks\/recording/);
      } else if (answer === "voicemail") {
        assert.match(stdout, /✓ NCCO: talk "Thank you for calling Acme\. We are closed right now\. We open again on \w+ at 09:00\. Please leave a message after the tone[^"]*", then record \(beep, ends on 3 s of silence, at most 120 s\) → \/webhooks\/recording/);
      } else {
        assert.match(stdout, /✓ NCCO: talk "Sorry, [^"]+", nothing dialled/);
      }
      if (scenario.expect.recording) assert.match(stdout, /✓ voicemail playable for ops: 16016 bytes of audio\/mpeg, fetched with an application JWT/);
      if (scenario.expect.path) assert.match(stdout, /^ {2}path: .+/m);
      if (scenario.callback) assert.match(stdout, /✓ callback request \d{13}-[0-9a-f]{16} taken \(201\), listed for ops, marked done/);
      assert.match(stdout, /RESULT: 1 scenarios passed, 0 failed, 0 skipped; 0 deviations/);
      // The printed timeline: the answer entry, then every accepted event, in order.
      const timeline = [...stdout.matchAll(/^ {4}\d\d:\d\d:\d\d\.\d{3} {2}(\S+)/gm)].map((m) => m[1]);
      const accepted = scenario.events.filter((e) => !e.expect_refusal).map((e) => e.logged_as ?? e.status);
      // The fallback answer writes nothing (it must work with the log down).
      const answered = fallback ? [] : [["connect", "voicemail"].includes(answer) ? "answered" : "refused"];
      assert.deepEqual(timeline, [...answered, ...accepted]);
      const rtc = scenario.events.filter((e) => e.to === "rtc").length;
      if (rtc) assert.match(stdout, new RegExp(`events accepted \\(signed; ${rtc} RTC events unsigned, to /webhooks/rtc\\)`));
      assert.match(stdout, new RegExp(`call CON-[0-9a-f-]+ — ${scenario.expect.status}`));
      for (const e of scenario.events.filter((e) => e.expect_refusal)) {
        assert.match(stdout, new RegExp(`refused as expected, ${e.expect_refusal.status} ${e.expect_refusal.code}`));
      }
    });
  }
});

describe("deviations are caught", () => {
  test("a worker without signature checking fails the signature scenario", async () => {
    const open = await startWorker();
    try {
      const vars = devVars({ ...defaultVars(), VONAGE_SIGNATURE_SECRET: SIGNATURE_SECRET });
      const { code, stdout } = await simulate(open.url, vars, "--scenario", path.join(scenarioDir, "refused-signature.json"));
      assert.equal(code, 1, stdout);
      assert.match(stdout, /✗ answered: expected 401 invalid_signature, got 200/);
    } finally {
      await open.dispose();
    }
  });

  test("a token signed with another key fails verification", async () => {
    const open = await startWorker();
    try {
      const { generateKeyPairSync } = await import("node:crypto");
      const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" });
      const vars = devVars({ ...defaultVars(), VONAGE_PRIVATE_KEY: other });
      const { code, stdout } = await simulate(open.url, vars, "--scenario", path.join(scenarioDir, "completed.json"));
      assert.equal(code, 1);
      assert.match(stdout, /✗ the token's RS256 signature does not verify/);
    } finally {
      await open.dispose();
    }
  });

  test("an unconfigured destination (apology NCCO) is a deviation", async () => {
    const bare = await startWorker({ vars: { DESTINATION_PHONE_NUMBER: undefined } });
    try {
      const { code, stdout } = await simulate(bare.url, devVars(defaultVars()), "--scenario", path.join(scenarioDir, "completed.json"));
      assert.equal(code, 1);
      assert.match(stdout, /✗ NCCO: expected connect, got NCCO: talk "Sorry, we cannot connect your call/);
    } finally {
      await bare.dispose();
    }
  });

  test("without a signature secret, signature scenarios are skipped, the rest pass", async () => {
    const open = await startWorker();
    try {
      const { code, stdout } = await simulate(open.url, devVars(defaultVars()));
      assert.equal(code, 0, stdout);
      // Skipped: what needs a signature secret, a ring list, the media API or a closed line.
      const needs = scenarios.filter((f) => JSON.parse(readFileSync(path.join(scenarioDir, f), "utf8")).requires?.length).length;
      assert.match(stdout, new RegExp(`RESULT: ${scenarios.length - needs} scenarios passed, 0 failed, ${needs} skipped`));
    } finally {
      await open.dispose();
    }
  });
});
