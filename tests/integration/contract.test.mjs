// The HTTP contract of the built worker, in workerd, with local KV and Queue.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { jwtVerify, decodeProtectedHeader } from "jose";
import { startWorker, eventually, APP_ID, SUPPORT, DESTINATION, OPS_TOKEN } from "../helpers/worker.mjs";

const opsAuth = { authorization: `Bearer ${OPS_TOKEN}` };
import { testKeys } from "../helpers/keys.mjs";

const CONV = "CON-f972836a-550f-45fa-956c-12a2ab5b7d22";
const LEG = "63f61863-4a51-4f6b-86e1-46edebcf9356";
const GREETING = "Thank you for calling Acme support. Transferring you now.";
// The seed's NCCO (talk, then connect from the support number to the
// destination), its connect made synchronous so a number that rings out
// hands over to the next of the ring list, or to voicemail (issue 13), and
// its phone endpoint's onAnswer telling the agent who calls (issue 20).
const seedNcco = () => [
  { action: "talk", text: GREETING },
  {
    action: "connect", from: SUPPORT, endpoint: [{ type: "phone", number: DESTINATION, onAnswer: { url: `${w.url}/webhooks/whisper` } }],
    eventType: "synchronous", timeout: 20, limit: 3600, machineDetection: "continue", eventUrl: [`${w.url}/webhooks/event?ring=0`],
  },
];

let w;
before(async () => {
  // /auth/:user (the seed's path) needs its allow-list.
  w = await startWorker({ vars: { CLIENT_USERS: "supportuser" } });
});
after(() => w?.dispose());

async function json(res) {
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
  return res.json();
}

describe("the page", () => {
  test("GET / serves the HTML page from site/", async () => {
    const res = await w.fetch("/");
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type"), /text\/html/);
    assert.match(await res.text(), /<button[^>]*id="call-button"/);
    // Served through the worker, with the static files' security headers.
    assert.match(res.headers.get("content-security-policy"), /frame-ancestors 'none'$/);
    assert.equal(res.headers.get("x-frame-options"), "DENY");
  });

  test("HEAD / answers like the static files do; HEAD of a route with effects is refused", async () => {
    const page = await w.fetch("/", { method: "HEAD" });
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type"), /text\/html/);
    assert.equal((await w.fetch("/healthz", { method: "HEAD" })).status, 200);
    assert.equal((await w.fetch("/auth", { method: "HEAD" })).status, 405);
  });
});

describe("/auth", () => {
  test("mints an RS256 token that verifies with the configured key's public key", async () => {
    const before = Math.floor(Date.now() / 1000);
    const res = await w.fetch("/auth");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("cache-control"), "no-store");
    const body = await json(res);
    // `renew`: the call's renewal ticket (see boundary.test.mjs).
    assert.deepEqual(Object.keys(body).sort(), ["expires_at", "renew", "ticket", "token", "user"]);
    // A Vonage user of its own for this call, made through the Users API
    // with the application's JWT, deleted by Vonage once empty (ttl).
    assert.match(body.user, /^visitor-[0-9a-f]{32}$/);
    const made = w.vonage.users.find((u) => u.name === body.user);
    assert.ok(made, "created through the Users API");
    assert.equal(made.properties.ttl, 900);
    assert.equal(w.vonage.seen.find((s) => s.path === "/v1/users" && s.method === "POST").problem, null, "with a valid application JWT");
    assert.deepEqual(decodeProtectedHeader(body.token), { alg: "RS256", typ: "JWT" });
    const { payload } = await jwtVerify(body.token, testKeys().publicKey, { algorithms: ["RS256"] });
    assert.deepEqual(Object.keys(payload).sort(), ["acl", "application_id", "exp", "iat", "jti", "sub"]);
    assert.equal(payload.application_id, APP_ID);
    assert.equal(payload.sub, body.user);
    assert.ok(payload.iat >= before - 1 && payload.iat <= before + 5);
    assert.equal(payload.exp, payload.iat + 900);
    assert.equal(body.expires_at, payload.exp);
    assert.match(payload.jti, /^[0-9a-f]{32}$/);
    // Least privilege: what a web in-app voice call needs, nothing more.
    assert.deepEqual(Object.keys(payload.acl.paths), ["/*/sessions/**", "/*/knocking/**", "/*/conversations/**", "/*/legs/**", "/*/rtc/**"]);
    for (const never of ["applications", "push", "devices", "users"]) {
      assert.ok(!JSON.stringify(payload.acl).includes(never), never);
    }
    // The call ticket: an HS256 JWT for this user, valid for two minutes.
    const ticket = JSON.parse(Buffer.from(body.ticket.split(".")[1], "base64url"));
    assert.equal(ticket.sub, body.user, "bound to the call's user");
    assert.equal(ticket.tok, payload.jti, "bound to the token it came with");
    assert.equal(ticket.exp - ticket.iat, 120);
  });

  test("every token is fresh, for a user of its own", async () => {
    const [a, b] = await Promise.all([w.fetch("/auth").then(json), w.fetch("/auth").then(json)]);
    assert.notEqual(a.token, b.token);
    assert.notEqual(a.user, b.user);
  });

  test("/auth/:user works for allow-listed users only", async () => {
    const ok = await w.fetch("/auth/supportuser");
    assert.equal(ok.status, 200);
    assert.equal((await json(ok)).user, "supportuser");
    const refused = await w.fetch("/auth/mallory");
    assert.equal(refused.status, 403);
    assert.equal((await json(refused)).error.code, "user_not_allowed");
  });
});

describe("/webhooks/answer", () => {
  /** A ticket and its user, as the page has them when it places a call. */
  const auth = async () => w.fetch("/auth").then(json);
  const leg = () => crypto.randomUUID();

  test("GET with a call ticket returns the seed's NCCO", async () => {
    const { ticket, user } = await auth();
    const q = new URLSearchParams({ to: SUPPORT, from_user: user, endpoint_type: "app", uuid: leg(), conversation_uuid: CONV, custom_data: JSON.stringify({ ticket }) });
    const res = await w.fetch(`/webhooks/answer?${q}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("cache-control"), "no-store");
    assert.deepEqual(await json(res), seedNcco());
  });

  test("POST with a call ticket returns the seed's NCCO", async () => {
    const { ticket, user } = await auth();
    const res = await w.fetch("/webhooks/answer", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ to: SUPPORT, from_user: user, endpoint_type: "app", uuid: leg(), conversation_uuid: CONV, custom_data: { ticket } }),
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await json(res), seedNcco());
  });

  test("without a ticket, the caller hears an apology and nothing is dialled", async () => {
    const q = new URLSearchParams({ to: SUPPORT, from_user: "supportuser", uuid: leg(), conversation_uuid: CONV, custom_data: '{"page":"/"}' });
    const ncco = await (await w.fetch(`/webhooks/answer?${q}`)).json();
    assert.equal(ncco.length, 1);
    assert.equal(ncco[0].action, "talk");
    assert.match(ncco[0].text, /cannot connect your call/);
  });

  test("the answer is recorded as an `answered` entry in the log", async () => {
    const conv = "CON-00000000-0000-4000-8000-00000000a0a0";
    const { ticket, user } = await auth();
    const q = new URLSearchParams({ uuid: leg(), conversation_uuid: conv, from_user: user, custom_data: JSON.stringify({ ticket }) });
    await w.fetch(`/webhooks/answer?${q}`);
    const keys = await eventually(async () => (await w.keys(`event/${conv}/`)).length && w.keys(`event/${conv}/`));
    assert.equal(keys.length, 1);
    const entry = JSON.parse(await w.kv.get(keys[0]));
    assert.equal(entry.status, "answered");
    assert.equal(entry.raw.ncco, "connect");
  });
});

describe("/webhooks/event", () => {
  test("a posted event is readable from KV afterwards", async () => {
    const event = {
      from: SUPPORT, to: DESTINATION, uuid: LEG, conversation_uuid: CONV,
      status: "completed", direction: "outbound", timestamp: "2026-01-01T12:00:05.250Z", duration: "42",
    };
    const res = await w.fetch("/webhooks/event", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(event),
    });
    assert.equal(res.status, 200);
    const accepted = await json(res);
    assert.equal(accepted.accepted, true);
    assert.equal(accepted.via, "queue");
    assert.match(accepted.key, new RegExp(`^event/${CONV}/1767268805250-[0-9a-f]{16}$`));
    const stored = await eventually(() => w.kv.get(accepted.key), { what: "the consumer to write the event to KV" });
    const entry = JSON.parse(stored);
    assert.equal(entry.status, "completed");
    assert.deepEqual(entry.raw, event);
    const { metadata } = await eventually(async () => {
      const r = await w.kv.getWithMetadata(`call/2026-01-01/${CONV}`);
      return r.metadata ? r : null;
    });
    assert.equal(metadata.status, "completed");
  });

  test("malformed JSON gives 400 with a JSON error and writes nothing", async () => {
    const before = await w.keys();
    const res = await w.fetch("/webhooks/event", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"uuid": "63f61863-4a51-4f6b-86e1-46edebcf9356", "status": ',
    });
    assert.equal(res.status, 400);
    const body = await json(res);
    assert.equal(body.error.code, "invalid_json");
    assert.equal(typeof body.error.message, "string");
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(await w.keys(), before);
  });
});

describe("routing", () => {
  test("an unknown route is a JSON 404", async () => {
    const res = await w.fetch("/no/such/thing");
    assert.equal(res.status, 404);
    assert.deepEqual(await json(res), { error: { code: "not_found", message: "no such route" } });
  });

  test("a wrong method is a JSON 405 naming the allowed ones", async () => {
    const res = await w.fetch("/webhooks/event", { method: "PUT", body: "{}" });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get("allow"), "GET, POST");
    assert.equal((await json(res)).error.code, "method_not_allowed");
    const auth = await w.fetch("/auth", { method: "DELETE" });
    assert.equal(auth.status, 405);
    assert.equal(auth.headers.get("allow"), "GET");
  });

  test("/healthz says what is configured, by name only", async () => {
    const res = await w.fetch("/healthz", { headers: opsAuth });
    assert.equal(res.status, 200);
    const health = await json(res);
    assert.equal(health.status, "ok");
    assert.deepEqual(health.problems, []);
    assert.equal(health.event_log, "queue");
    assert.equal(health.signature_checking, false);
    assert.equal(health.ops_api, true);
    assert.equal(health.rate_limiting, true);
    assert.equal(health.call_guard, true);
  });

  test("/healthz tells anyone the status and nothing else", async () => {
    for (const headers of [{}, { authorization: "Bearer not-the-ops-token-0123" }]) {
      const res = await w.fetch("/healthz", { headers });
      assert.equal(res.status, 200);
      assert.deepEqual(await json(res), { status: "ok" });
    }
  });
});

describe("nothing unsigned is taken unless a person chose so", () => {
  test("without VONAGE_SIGNATURE_SECRET or ALLOW_UNSIGNED_WEBHOOKS=true: events and recordings 401, the answer apologises, nothing stored, the guard untouched", async () => {
    const strict = await startWorker({ vars: { ALLOW_UNSIGNED_WEBHOOKS: undefined, MAX_LIVE_CALLS_PER_CLIENT: "1" } });
    try {
      const pub = await strict.fetch("/healthz");
      assert.equal(pub.status, 503);
      assert.deepEqual(await json(pub), { status: "degraded" });
      const detail = await strict.fetch("/healthz", { headers: opsAuth }).then(json);
      const problem = detail.problems.find((p) => p.variable === "VONAGE_SIGNATURE_SECRET");
      assert.match(problem.problem, /webhooks are refused/);
      assert.match(problem.problem, /ALLOW_UNSIGNED_WEBHOOKS=true/);
      assert.ok(strict.logs.some((l) => /webhooks are refused/.test(l)), strict.logs.join("\n"));

      const event = JSON.stringify({ uuid: LEG, conversation_uuid: CONV, status: "completed", direction: "inbound", timestamp: new Date().toISOString() });
      for (const path of ["/webhooks/event", "/webhooks/recording"]) {
        const res = await strict.fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: event });
        assert.equal(res.status, 401, path);
        const body = await json(res);
        assert.equal(body.error.code, "signature_required");
        assert.match(body.error.message, /VONAGE_SIGNATURE_SECRET/);
      }
      const get = await strict.fetch(`/webhooks/event?${new URLSearchParams({ uuid: LEG, status: "ringing" })}`);
      assert.equal(get.status, 401);
      // The answer webhook: a caller may be waiting, so an NCCO, but one
      // that dials no one, even with a valid ticket.
      const visitor = { "cf-connecting-ip": "203.0.113.77" };
      const { ticket, user } = await strict.fetch("/auth", { headers: visitor }).then(json);
      const q = new URLSearchParams({ to: SUPPORT, from_user: user, endpoint_type: "app", uuid: crypto.randomUUID(), conversation_uuid: CONV, custom_data: JSON.stringify({ ticket }) });
      const answer = await strict.fetch(`/webhooks/answer?${q}`);
      assert.equal(answer.status, 200);
      const ncco = await json(answer);
      assert.deepEqual(ncco.map((a) => a.action), ["talk"]);
      assert.match(ncco[0].text, /cannot connect your call/);
      await new Promise((r) => setTimeout(r, 1500)); // past the queue's batch timeout
      assert.deepEqual(await strict.keys("event/"), [], "nothing stored");
      // The guard never admitted the call: its client, allowed one live
      // call, still gets a token for another.
      assert.equal((await strict.fetch("/auth", { headers: visitor })).status, 200);
      assert.ok(strict.logs.some((l) => /apologising to the caller: unsigned/.test(l)), strict.logs.join("\n"));
    } finally {
      await strict.dispose();
    }
  });
});

describe("misconfiguration", () => {
  let bare;
  before(async () => {
    bare = await startWorker({
      vars: { VONAGE_PRIVATE_KEY: undefined, DESTINATION_PHONE_NUMBER: "07700 900001", VONAGE_APPLICATION_ID: undefined },
    });
  });
  after(() => bare?.dispose());

  test("/healthz names each missing or malformed variable", async () => {
    const res = await bare.fetch("/healthz", { headers: opsAuth });
    assert.equal(res.status, 503);
    const health = await json(res);
    assert.equal(health.status, "degraded");
    assert.deepEqual(health.problems.map((p) => p.variable), [
      "VONAGE_APPLICATION_ID", "VONAGE_PRIVATE_KEY", "DESTINATION_PHONE_NUMBER",
    ]);
    assert.equal(health.problems[0].problem, "not set");
    assert.match(health.problems[2].problem, /^invalid: expected an E\.164 number/);
  });

  test("/auth answers 503 naming the variable", async () => {
    const res = await bare.fetch("/auth");
    assert.equal(res.status, 503);
    const body = await json(res);
    assert.equal(body.error.code, "not_configured");
    assert.match(body.error.message, /VONAGE_APPLICATION_ID is not set/);
  });

  test("the answer webhook apologises instead of failing", async () => {
    const res = await bare.fetch(`/webhooks/answer?uuid=${LEG}`);
    assert.equal(res.status, 200);
    const ncco = await json(res);
    assert.equal(ncco.length, 1);
    assert.equal(ncco[0].action, "talk");
    assert.match(ncco[0].text, /cannot connect your call/);
    assert.ok(bare.logs.some((l) => /DESTINATION_PHONE_NUMBER is invalid/.test(l)), bare.logs.join("\n"));
  });
});

describe("keys in other forms", () => {
  test("a PKCS#1 key is accepted and signs verifiable tokens", async () => {
    const pkcs1 = await startWorker({ vars: { VONAGE_PRIVATE_KEY: testKeys().pkcs1Pem } });
    try {
      const body = await pkcs1.fetch("/auth").then(json);
      await jwtVerify(body.token, testKeys().publicKey, { algorithms: ["RS256"] });
    } finally {
      await pkcs1.dispose();
    }
  });
});

describe("without a queue bound (the webhook writes to KV itself)", () => {
  test("events are written to KV directly before the webhook answers", async () => {
    const free = await startWorker({ queue: false });
    try {
      const health = await free.fetch("/healthz", { headers: opsAuth }).then(json);
      assert.equal(health.event_log, "kv");
      const res = await free.fetch("/webhooks/event", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ uuid: LEG, status: "ringing", timestamp: "2026-01-01T00:00:00Z" }),
      });
      const accepted = await json(res);
      assert.equal(accepted.via, "kv");
      assert.ok(await free.kv.get(accepted.key), "stored before the answer");
    } finally {
      await free.dispose();
    }
  });
});
