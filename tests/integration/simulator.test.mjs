// The Vonage simulator (src/bin/simulate.rs) against the worker in workerd,
// once per scenario file: its exit code and the timeline it prints.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync, mkdtempSync, existsSync } from "node:fs";
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

before(() => {
  assert.ok(existsSync(simulator), "target/debug/simulate is missing: scripts/test.sh builds it (cargo build --bin simulate)");
});

describe("with signed webhooks", () => {
  let w;
  let vars;
  before(async () => {
    w = await startWorker({ vars: { VONAGE_SIGNATURE_SECRET: SIGNATURE_SECRET } });
    vars = devVars({ ...defaultVars(), VONAGE_SIGNATURE_SECRET: SIGNATURE_SECRET });
  });
  after(() => w?.dispose());

  for (const file of scenarios) {
    const scenario = JSON.parse(readFileSync(path.join(scenarioDir, file), "utf8"));
    test(`scenario ${scenario.name}`, async () => {
      const { code, stdout } = await simulate(w.url, vars, "--scenario", path.join(scenarioDir, file));
      assert.equal(code, 0, stdout);
      assert.match(stdout, /✓ RS256 token for "supportuser" verifies/);
      if ((scenario.expect.answer ?? "connect") === "connect") {
        assert.match(stdout, /✓ NCCO: talk "Thank you for calling Acme support\. Transferring you now\.", then connect 447700900000 → 447700900001/);
      } else {
        assert.match(stdout, /✓ NCCO: talk "Sorry, [^"]+", nothing dialled/);
      }
      assert.match(stdout, /RESULT: 1 scenarios passed, 0 failed, 0 skipped; 0 deviations/);
      // The printed timeline: the answer entry, then every accepted event, in order.
      const timeline = [...stdout.matchAll(/^ {4}\d\d:\d\d:\d\d\.\d{3} {2}(\S+)/gm)].map((m) => m[1]);
      const accepted = scenario.events.filter((e) => !e.expect_refusal).map((e) => e.logged_as ?? e.status);
      const answered = (scenario.expect.answer ?? "connect") === "connect" ? "answered" : "refused";
      assert.deepEqual(timeline, [answered, ...accepted]);
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
      assert.match(stdout, /✗ the NCCO connects no one/);
    } finally {
      await bare.dispose();
    }
  });

  test("without a signature secret, signature scenarios are skipped, the rest pass", async () => {
    const open = await startWorker();
    try {
      const { code, stdout } = await simulate(open.url, devVars(defaultVars()));
      assert.equal(code, 0, stdout);
      assert.match(stdout, new RegExp(`RESULT: ${scenarios.length - 1} scenarios passed, 0 failed, 1 skipped`));
    } finally {
      await open.dispose();
    }
  });
});
