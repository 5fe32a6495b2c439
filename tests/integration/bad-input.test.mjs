// The bad-input contract, route by route: each refusal has the exact status,
// a JSON body {"error": {"code", "message"}} and writes nothing to the log.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { startWorker, eventually, APP_ID, OPS_TOKEN, SIGNATURE_SECRET } from "../helpers/worker.mjs";
import { vonageSignature } from "../helpers/sign.mjs";

const LEG = "63f61863-4a51-4f6b-86e1-46edebcf9356";
const CONV = "CON-f972836a-550f-45fa-956c-12a2ab5b7d22";
const JSON_CT = { "content-type": "application/json" };
const ops = { authorization: `Bearer ${OPS_TOKEN}` };
const event = (over = {}) => JSON.stringify({ uuid: LEG, conversation_uuid: CONV, status: "ringing", timestamp: "2026-01-01T00:00:00Z", ...over });
const deep = (n) => `{"uuid":"${LEG}","x":${"[".repeat(n)}${"]".repeat(n)}}`;

let open; // no signature secret
let signed; // VONAGE_SIGNATURE_SECRET set
let limited; // /auth limited to 2 a minute
before(async () => {
  [open, signed, limited] = await Promise.all([
    startWorker(),
    startWorker({ vars: { VONAGE_SIGNATURE_SECRET: SIGNATURE_SECRET } }),
    startWorker({ rateLimit: { limit: 2, period: 60 } }),
  ]);
});
after(async () => {
  // Nothing refused may have reached the log, even through the queue.
  await new Promise((r) => setTimeout(r, 1500));
  for (const w of [open, signed]) assert.deepEqual(await w.keys(), [], "no bad input was written to KV");
  await Promise.all([open?.dispose(), signed?.dispose(), limited?.dispose()]);
});

async function expectRefusal(w, path, init, status, code, check) {
  const before = await w.keys();
  const res = await w.fetch(path, init);
  assert.equal(res.status, status, `${init?.method ?? "GET"} ${path.slice(0, 80)}`);
  assert.match(res.headers.get("content-type"), /^application\/json/);
  const body = await res.json();
  assert.deepEqual(Object.keys(body), ["error"]);
  assert.deepEqual(Object.keys(body.error).sort(), ["code", "message"]);
  assert.equal(body.error.code, code);
  assert.equal(typeof body.error.message, "string");
  assert.ok(body.error.message.length > 5);
  assert.deepEqual(await w.keys(), before, "nothing written");
  await check?.(res, body);
}

const post = (body, headers = JSON_CT) => ({ method: "POST", headers, body });

const cases = [
  // The event webhook: bodies.
  ["malformed JSON", "/webhooks/event", post("{"), 400, "invalid_json"],
  ["empty body", "/webhooks/event", post(""), 400, "invalid_json"],
  ["trailing garbage after JSON", "/webhooks/event", post(event() + " x"), 400, "invalid_json"],
  ["invalid UTF-8", "/webhooks/event", post(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])), 400, "invalid_json"],
  ["deeply nested JSON (10,000 levels)", "/webhooks/event", post(deep(10_000)), 400, "invalid_json"],
  ["a JSON array", "/webhooks/event", post("[1,2,3]"), 400, "invalid_event"],
  ["a JSON string", "/webhooks/event", post('"completed"'), 400, "invalid_event"],
  ["an object with no call id", "/webhooks/event", post('{"status":"ringing"}'), 400, "invalid_event"],
  ["an array holding an id", "/webhooks/event", post(`["${LEG}"]`), 400, "invalid_event"],
  ["a GET event with no call id", "/webhooks/event?status=ringing", {}, 400, "invalid_event"],
  ["a GET event with an id that escapes the key scheme", "/webhooks/event?uuid=..%2F..%2Fx&status=ringing", {}, 400, "invalid_id"],
  ["uuid as a number", "/webhooks/event", post('{"uuid": 12345678}'), 400, "invalid_event"],
  // Ids that try to escape the key scheme.
  ["uuid with ../", "/webhooks/event", post(event({ conversation_uuid: undefined, uuid: "../../call/2026-01-01/x" })), 400, "invalid_id"],
  ["conversation_uuid with a slash", "/webhooks/event", post(event({ conversation_uuid: "CON-f972836a/../../x" })), 400, "invalid_id"],
  ["call_uuid with unicode", "/webhooks/event", post('{"call_uuid":"63f61863-4a51-4f6b-86e1-46edebcf9356\u2215x"}'), 400, "invalid_id"],
  ["uuid with a NUL byte", "/webhooks/event", post('{"uuid":"63f61863\\u0000abc"}'), 400, "invalid_id"],
  ["uuid too long", "/webhooks/event", post(event({ conversation_uuid: undefined, uuid: "a".repeat(200) })), 400, "invalid_id"],
  // Sizes and content types.
  ["a body of 64 KiB + 1", "/webhooks/event", post(event({ pad: "x".repeat(64 * 1024) })), 413, "payload_too_large"],
  ["a body of 2 MiB", "/webhooks/event", post("x".repeat(2 * 1024 * 1024)), 413, "payload_too_large"],
  ["text/plain", "/webhooks/event", post(event(), { "content-type": "text/plain" }), 415, "unsupported_media_type"],
  ["form-encoded", "/webhooks/event", post("uuid=1", { "content-type": "application/x-www-form-urlencoded" }), 415, "unsupported_media_type"],
  ["no content type", "/webhooks/event", { method: "POST", body: new Blob([event()]) }, 415, "unsupported_media_type"],
  // Methods and routes.
  ["PUT on the event webhook", "/webhooks/event", { method: "PUT", body: "{}" }, 405, "method_not_allowed", (res) => assert.equal(res.headers.get("allow"), "GET, POST")],
  ["PUT on the answer webhook", "/webhooks/answer", { method: "PUT", body: "{}" }, 405, "method_not_allowed", (res) => assert.equal(res.headers.get("allow"), "GET, POST")],
  ["DELETE on /auth", "/auth", { method: "DELETE" }, 405, "method_not_allowed", (res) => assert.equal(res.headers.get("allow"), "GET")],
  ["POST on /healthz", "/healthz", { method: "POST" }, 405, "method_not_allowed"],
  ["an unknown route", "/admin", {}, 404, "not_found"],
  ["a path under a webhook", "/webhooks/event/extra", post(event()), 404, "not_found"],
  ["an unknown webhook", "/webhooks/status", post(event()), 404, "not_found"],
  // Token endpoint.
  ["a user outside the allow-list", "/auth/mallory", {}, 403, "user_not_allowed"],
  ["a user name that escapes the path", "/auth/..%2F..%2Fetc", {}, 400, "bad_request"],
  ["a user name with spaces", "/auth/support%20user", {}, 400, "bad_request"],
  ["a cross-site Origin", "/auth", { headers: { origin: "https://evil.example" } }, 403, "cross_site_request"],
  ["Sec-Fetch-Site: cross-site", "/auth", { headers: { "sec-fetch-site": "cross-site" } }, 403, "cross_site_request"],
  ["Origin: null (sandboxed frame)", "/auth", { headers: { origin: "null" } }, 403, "cross_site_request"],
  // Ops.
  ["ops without a token", "/ops/calls", {}, 401, "unauthorized"],
  ["ops with a wrong token", "/ops/calls", { headers: { authorization: "Bearer not-the-ops-token-at-all" } }, 401, "unauthorized"],
  ["ops with a call id that escapes the key scheme", "/ops/calls/..%2F..%2Fcall", { headers: ops }, 400, "invalid_id"],
  ["ops with a malformed day", "/ops/calls?day=yesterday", { headers: ops }, 400, "bad_request"],
  ["ops with limit 0", "/ops/calls?limit=0", { headers: ops }, 400, "bad_request"],
];

describe(`${cases.length} bad inputs, unsigned deployment`, () => {
  for (const [name, path, init, status, code, check] of cases) {
    test(`${name} → ${status} ${code}`, () => expectRefusal(open, path, init, status, code, check));
  }
});

test("over-rate /auth → 429 with Retry-After", async () => {
  assert.equal((await limited.fetch("/auth")).status, 200);
  assert.equal((await limited.fetch("/auth")).status, 200);
  await expectRefusal(limited, "/auth", {}, 429, "rate_limited", (res) => assert.equal(res.headers.get("retry-after"), "60"));
});

test("allowed origins and same-origin pages get tokens", async () => {
  const same = await open.fetch("/auth", { headers: { origin: open.url, "sec-fetch-site": "same-origin" } });
  assert.equal(same.status, 200);
  const other = await startWorker({ vars: { ALLOWED_ORIGINS: "https://www.example.com" } });
  try {
    const res = await other.fetch("/auth", { headers: { origin: "https://www.example.com", "sec-fetch-site": "cross-site" } });
    assert.equal(res.status, 200);
  } finally {
    await other.dispose();
  }
});

describe("signed webhooks", () => {
  const sign = (opts) => vonageSignature({ secret: SIGNATURE_SECRET, applicationId: APP_ID, ...opts });
  const now = () => Math.floor(Date.now() / 1000);

  test("/healthz says signature checking is on", async () => {
    assert.equal((await (await signed.fetch("/healthz", { headers: ops })).json()).signature_checking, true);
  });

  test("an event without Authorization → 503 with Retry-After (Vonage retries it signed)", async () => {
    await expectRefusal(signed, "/webhooks/event", post(event()), 503, "signature_missing", (res) => assert.ok(res.headers.get("retry-after")));
  });

  test("an unsigned answer request → 503 with Retry-After, no NCCO", async () => {
    await expectRefusal(signed, `/webhooks/answer?uuid=${LEG}&conversation_uuid=${CONV}`, {}, 503, "signature_missing", (res) => assert.ok(res.headers.get("retry-after")));
  });

  const refusals = [
    ["an event with a Basic Authorization header", async () => post(event(), { ...JSON_CT, authorization: "Basic dXNlcjpwYXNz" })],
    ["an event without application_id in its token", async () => post(event(), { ...JSON_CT, authorization: await sign({ body: event(), claims: { application_id: undefined } }) })],
    ["an event signed with another secret", async () => post(event(), { ...JSON_CT, authorization: await vonageSignature({ secret: "x".repeat(40), applicationId: APP_ID, body: event() }) })],
    ["an event whose body was tampered with", async () => post(event({ status: "answered" }), { ...JSON_CT, authorization: await sign({ body: event() }) })],
    ["an event signed 10 minutes ago", async () => post(event(), { ...JSON_CT, authorization: await sign({ body: event(), iat: now() - 600 }) })],
    ["an event signed for another application", async () => post(event(), { ...JSON_CT, authorization: await sign({ body: event(), claims: { application_id: "ffffffff-bbbb-4ccc-8ddd-eeeeeeeeeeee" } }) })],
    ["an event with a garbage bearer token", async () => post(event(), { ...JSON_CT, authorization: "Bearer garbage" })],
  ];
  for (const [name, init] of refusals) {
    test(`${name} → 401`, async () => expectRefusal(signed, "/webhooks/event", await init(), 401, "invalid_signature"));
  }

  test("an answer request with a signature over other parameters → 401", async () => {
    const authorization = await sign({ query: [["uuid", LEG]] });
    await expectRefusal(signed, `/webhooks/answer?uuid=${LEG}&conversation_uuid=${CONV}`, { headers: { authorization } }, 401, "invalid_signature");
  });

  test("properly signed GET answer and POST event are accepted", async () => {
    const { ticket, user } = await (await signed.fetch("/auth")).json();
    const query = [["to", "447700900000"], ["from_user", user], ["uuid", LEG], ["conversation_uuid", "CON-00000000-0000-4000-8000-0000000000aa"], ["custom_data", JSON.stringify({ ticket })]];
    const answer = await signed.fetch(`/webhooks/answer?${new URLSearchParams(query)}`, { headers: { authorization: await sign({ query }) } });
    assert.equal(answer.status, 200);
    assert.equal((await answer.json())[1].action, "connect");
    const answerPost = JSON.stringify({ uuid: LEG });
    const posted = await signed.fetch("/webhooks/answer", post(answerPost, { ...JSON_CT, authorization: await sign({ body: answerPost }) }));
    assert.equal(posted.status, 200);
    // Accepted events are logged; clean them up so the "nothing written" check stays about refusals.
    const body = JSON.stringify({ uuid: "63f61863-4a51-4f6b-86e1-46edebcf0000", status: "ringing" });
    const res = await signed.fetch("/webhooks/event", post(body, { ...JSON_CT, authorization: await sign({ body }) }));
    assert.equal(res.status, 200);
    // The two answered entries (ticketless, from no known user: logged as
    // refused) and the event, through the queue; then clean up.
    await eventually(async () => (await signed.keys("event/")).length >= 3, { ms: 20_000, what: "the accepted requests to be logged" });
    for (const key of await signed.keys()) await signed.kv.delete(key);
  });
});
