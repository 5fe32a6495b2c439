// No caller lost (issue 13), in workerd: opening hours from the runtime's
// time-zone rules, the ring list handing over on the synchronous connect's
// events, voicemail recorded and played to ops through the worker (fetched
// from a local stand-in for Vonage's media API, with an application JWT),
// and callback requests.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { randomUUID, createPublicKey } from "node:crypto";
import { jwtVerify } from "jose";
import { startWorker, eventually, SUPPORT, OPS_TOKEN, APP_ID } from "../helpers/worker.mjs";
import { testKeys } from "../helpers/keys.mjs";
import { VOICEMAIL, answerCall, mediaApi, ticketFrom, visitorIp } from "../helpers/calls.mjs";

const ops = { authorization: `Bearer ${OPS_TOKEN}` };
const RING_LIST = ["447700900001", "447700900002", "447700900003"];

const answer = async (w) => answerCall(w, { ticket: await ticketFrom(w, { ip: visitorIp() }) });

function phoneEvent(conversation, to, status, extra = {}) {
  return { from: SUPPORT, to, uuid: randomUUID(), conversation_uuid: conversation, direction: "outbound", status, timestamp: new Date().toISOString(), ...extra };
}

const post = (w, url, body) =>
  w.fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

/** Today's local date and weekday in `zone`, as the visitor's browser computes them. */
function localNow(zone) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", { timeZone: zone, weekday: "short", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
      .formatToParts(new Date()).map((p) => [p.type, p.value]),
  );
  return { date: `${parts.year}-${parts.month}-${parts.day}`, weekday: parts.weekday, minutes: Number(parts.hour) * 60 + Number(parts.minute) };
}

describe("opening hours", () => {
  test("/config.json says open, with the week's hours, when now is inside them (zone rules from the runtime)", async () => {
    // Open all day every day in a zone with summer time: open now, whatever the clock.
    const w = await startWorker({ vars: { OPENING_HOURS: "Mon-Sun 00:00-24:00", TIMEZONE: "America/New_York" } });
    try {
      const config = await (await w.fetch("/config.json")).json();
      assert.equal(config.open, true);
      assert.equal(config.next_open, null);
      assert.equal(config.timezone, "America/New_York");
      assert.equal(config.hours.length, 7);
      assert.deepEqual(config.hours[0], { day: "Mon", open: "00:00", close: "24:00" });
    } finally {
      await w.dispose();
    }
  });

  test("closed today: /config.json gives the next opening as an instant, the answer goes to voicemail and dials no one", async () => {
    const zone = "Europe/Berlin";
    const today = localNow(zone);
    const w = await startWorker({ vars: { OPENING_HOURS: "Mon-Sun 09:30-17:00", TIMEZONE: zone, CLOSED_DATES: today.date } });
    try {
      const config = await (await w.fetch("/config.json")).json();
      assert.equal(config.open, false);
      assert.deepEqual(config.closed_dates, [today.date]);
      // The next opening is 09:30 in Berlin on a day after today: check it
      // with the browser's own Intl, independently of the worker.
      const next = new Date(config.next_open);
      assert.ok(next > new Date(), config.next_open);
      const atBerlin = new Intl.DateTimeFormat("en-GB", { timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(next);
      assert.equal(atBerlin, "09:30");
      assert.ok(next - Date.now() < 2 * 86_400_000, "tomorrow at the latest");

      const { ncco, conversation } = await answer(w);
      assert.equal(ncco.some((a) => a.action === "connect"), false, "nothing dialled");
      assert.match(ncco[0].text, /We are closed right now\. We open again on \w+ at 09:30\. Please leave a message after the tone/);
      assert.deepEqual(ncco[1], { action: "record", beepStart: true, endOnSilence: 3, timeOut: 120, format: "mp3", eventUrl: [`${w.url}/webhooks/recording`] });
      const entry = await eventually(async () => {
        const keys = await w.keys(`event/${conversation}/`);
        return keys.length ? JSON.parse(await w.kv.get(keys[0])) : null;
      });
      assert.equal(entry.raw.ncco, "voicemail");
    } finally {
      await w.dispose();
    }
  });

  test("a malformed OPENING_HOURS, an unknown TIMEZONE, a bad CLOSED_DATES: 503 naming the variable", async () => {
    for (const [name, value] of [["OPENING_HOURS", "Mon-Fri 9-5"], ["TIMEZONE", "Mars/Olympus_Mons"], ["CLOSED_DATES", "25/12/2026"]]) {
      const w = await startWorker({ vars: { OPENING_HOURS: "Mon-Fri 09:00-17:00", [name]: value } });
      try {
        const res = await w.fetch("/config.json");
        assert.equal(res.status, 503, name);
        const body = await res.json();
        assert.equal(body.error.code, "not_configured");
        assert.match(body.error.message, new RegExp(name));
        assert.ok(!body.error.message.includes(value), "the value is not echoed");
      } finally {
        await w.dispose();
      }
    }
  });
});

describe("the ring list", () => {
  let w;
  before(async () => {
    w = await startWorker({ vars: { DESTINATION_PHONE_NUMBER: undefined, DESTINATION_PHONE_NUMBERS: RING_LIST.join(","), RING_SECONDS: "25" } });
  });
  after(() => w?.dispose());

  test("rings the first number synchronously; each that rings out hands over to the next, then voicemail", async () => {
    const { ncco, conversation } = await answer(w);
    assert.deepEqual(ncco[1], {
      action: "connect", from: SUPPORT, endpoint: [{ type: "phone", number: RING_LIST[0], onAnswer: { url: `${w.url}/webhooks/whisper` } }],
      eventType: "synchronous", timeout: 25, limit: 3600, machineDetection: "continue", eventUrl: [`${w.url}/webhooks/event?ring=0`],
    });
    // Ringing changes nothing: the event is accepted, no NCCO.
    const ringing = await post(w, "/webhooks/event?ring=0", phoneEvent(conversation, RING_LIST[0], "ringing"));
    assert.equal((await ringing.json()).accepted, true);
    for (const [ring, status] of [[0, "unanswered"], [1, "busy"]]) {
      const res = await post(w, `/webhooks/event?ring=${ring}`, phoneEvent(conversation, RING_LIST[ring], status));
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), [{
        action: "connect", from: SUPPORT, endpoint: [{ type: "phone", number: RING_LIST[ring + 1], onAnswer: { url: `${w.url}/webhooks/whisper` } }],
        eventType: "synchronous", timeout: 25, limit: 3600, machineDetection: "continue", eventUrl: [`${w.url}/webhooks/event?ring=${ring + 1}`],
      }], `${status} on ring ${ring}`);
    }
    const last = await post(w, "/webhooks/event?ring=2", phoneEvent(conversation, RING_LIST[2], "timeout"));
    const voicemail = await last.json();
    assert.match(voicemail[0].text, /no one can take your call right now/);
    assert.equal(voicemail[1].action, "record");
    // Every one of those events is in the call's log.
    const keys = await eventually(async () => {
      const k = await w.keys(`event/${conversation}/`);
      return k.length >= 5 ? k : null;
    });
    assert.equal(keys.length, 5, "answer + 4 events");
  });

  test("an answered number ends the hand-overs: its events get the usual acknowledgement", async () => {
    const conversation = `CON-${randomUUID()}`;
    for (const status of ["answered", "completed"]) {
      const res = await post(w, "/webhooks/event?ring=1", phoneEvent(conversation, RING_LIST[1], status));
      const body = await res.json();
      assert.equal(body.accepted, true, status);
    }
  });

  test("the visitor's own leg never hands over, whatever URL it reaches", async () => {
    const conversation = `CON-${randomUUID()}`;
    const res = await post(w, "/webhooks/event?ring=0", { ...phoneEvent(conversation, SUPPORT, "busy"), direction: "inbound" });
    assert.equal((await res.json()).accepted, true);
  });

  test("a ring index past the list, or not a number, is logged without an NCCO", async () => {
    const conversation = `CON-${randomUUID()}`;
    for (const ring of ["7x", "-1"]) {
      const res = await post(w, `/webhooks/event?ring=${ring}`, phoneEvent(conversation, RING_LIST[0], "busy"));
      assert.equal((await res.json()).accepted, true, ring);
    }
  });
});

describe("voicemail played to ops", () => {
  let w;
  let media;
  let elsewhere;
  before(async () => {
    media = await mediaApi();
    elsewhere = await mediaApi();
    w = await startWorker({ vars: { VONAGE_API_URL: media.origin } });
  });
  after(async () => {
    await w?.dispose();
    await media?.close();
    await elsewhere?.close();
  });

  async function recordCall(recordingUrl) {
    const conversation = `CON-${randomUUID()}`;
    const recording = randomUUID();
    const res = await post(w, "/webhooks/recording", {
      start_time: "2026-11-26T10:00:09Z", recording_url: recordingUrl(recording), size: VOICEMAIL.length,
      recording_uuid: recording, end_time: "2026-11-26T10:00:50Z", conversation_uuid: conversation, timestamp: "2026-11-26T10:00:51Z",
    });
    assert.equal(res.status, 200);
    const view = await eventually(async () => {
      const r = await w.fetch(`/ops/calls/${conversation}`, { headers: ops });
      return r.status === 200 ? r.json() : null;
    });
    return { conversation, recording, view };
  }

  test("the recording event is in the call's log; ops stream it from Vonage's API with an application JWT", async () => {
    const { conversation, recording, view } = await recordCall((id) => `${media.origin}/v1/files/${id}`);
    assert.equal(view.outcome, "voicemail");
    assert.equal(view.path, "voicemail 0:41 ▶");
    assert.deepEqual(view.recordings, [{ recording_uuid: recording, duration_seconds: 41, play: `/ops/recordings/${conversation}/${recording}` }]);

    assert.equal((await w.fetch(view.recordings[0].play)).status, 401, "ops token required");
    const res = await w.fetch(view.recordings[0].play, { headers: ops });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "audio/mpeg");
    assert.match(res.headers.get("cache-control"), /no-store/);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), VOICEMAIL);

    const asked = media.seen.at(-1);
    assert.equal(asked.path, `/v1/files/${recording}`);
    const jwt = asked.authorization.replace(/^Bearer /, "");
    const { payload, protectedHeader } = await jwtVerify(jwt, createPublicKey(testKeys().privateKeyPem), { algorithms: ["RS256"] });
    assert.equal(protectedHeader.alg, "RS256");
    assert.equal(payload.application_id, APP_ID);
    assert.ok(payload.exp - payload.iat <= 300 && payload.jti);
  });

  test("never an open proxy: a recording URL off Vonage's API hosts is not fetched", async () => {
    for (const url of [(id) => `${elsewhere.origin}/v1/files/${id}`, (id) => `https://api.nexmo.com.evil.example/v1/files/${id}`, (id) => `${media.origin}/etc/passwd?${id}`]) {
      const fetched = () => [...elsewhere.seen, ...media.seen].filter((s) => s.method === "GET").length;
      const before = fetched();
      const { view } = await recordCall(url);
      const res = await w.fetch(view.recordings[0].play, { headers: ops });
      assert.equal(res.status, 502);
      assert.equal((await res.json()).error.code, "recording_unavailable");
      assert.equal(fetched(), before, "nothing fetched");
    }
  });

  test("an unknown recording is 404; malformed ids are 400", async () => {
    const { conversation } = await recordCall((id) => `${media.origin}/v1/files/${id}`);
    assert.equal((await w.fetch(`/ops/recordings/${conversation}/${randomUUID()}`, { headers: ops })).status, 404);
    assert.equal((await w.fetch(`/ops/recordings/${conversation}/..%2F..%2Fx`, { headers: ops })).status, 400);
  });

  test("the recording webhook is verified like the others", async () => {
    const signed = await startWorker({ vars: { VONAGE_SIGNATURE_SECRET: "signature-secret-for-tests-0123456789" } });
    try {
      const res = await post(signed, "/webhooks/recording", { recording_uuid: randomUUID(), recording_url: "https://api.nexmo.com/v1/files/x", conversation_uuid: `CON-${randomUUID()}` });
      assert.equal(res.status, 503);
      assert.equal((await res.json()).error.code, "signature_missing");
    } finally {
      await signed.dispose();
    }
  });
});

describe("callback requests", () => {
  let w;
  before(async () => {
    w = await startWorker({ callbackRateLimit: { limit: 3, period: 60 } });
  });
  after(() => w?.dispose());

  const request = (body, headers = {}, ip = "198.51.100.7") =>
    w.fetch("/callbacks", {
      method: "POST",
      headers: { "content-type": "application/json", origin: w.url, "cf-connecting-ip": ip, ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });

  test("a visitor's request is taken (201), listed for ops, and marked done", async () => {
    const res = await request({ name: "Ada Lovelace", phone: "+44 7700 900123", note: "About order 1234" });
    assert.equal(res.status, 201);
    const { id, status } = await res.json();
    assert.match(id, /^\d{13}-[0-9a-f]{16}$/);
    assert.equal(status, "open");
    assert.equal((await w.fetch("/ops/callbacks")).status, 401);
    const listed = await (await w.fetch("/ops/callbacks", { headers: ops })).json();
    const mine = listed.open.find((c) => c.id === id);
    assert.deepEqual({ name: mine.name, phone: mine.phone, note: mine.note, status: mine.status }, { name: "Ada Lovelace", phone: "+447700900123", note: "About order 1234", status: "open" });
    assert.ok(listed.open_count >= 1);
    const done = await w.fetch(`/ops/callbacks/${id}/done`, { method: "POST", headers: ops });
    assert.equal(done.status, 200);
    assert.equal((await done.json()).status, "done");
    const after = await (await w.fetch("/ops/callbacks", { headers: ops })).json();
    assert.ok(!after.open.some((c) => c.id === id) && after.done.some((c) => c.id === id));
    assert.equal((await w.fetch(`/ops/callbacks/0000000000000-0000000000000000/done`, { method: "POST", headers: ops })).status, 404);
    assert.equal((await w.fetch(`/ops/callbacks/nope/done`, { method: "POST", headers: ops })).status, 400);
  });

  test("bad input gets a clear JSON error", async () => {
    const cases = [
      [{ name: "Ada", phone: "07700 900123" }, {}, 400, "bad_request", /E\.164/],
      [{ phone: "+447700900123" }, {}, 400, "bad_request", /`name` is required/],
      [{ name: "Ada", phone: "+447700900123", note: "x".repeat(501) }, {}, 400, "bad_request", /at most 500/],
      ["{not json", {}, 400, "invalid_json", /JSON/],
      [{ name: "Ada", phone: "+447700900123" }, { "content-type": "text/plain" }, 415, "unsupported_media_type", /application\/json/],
      [{ name: "Ada", phone: "+447700900123", note: "x".repeat(5000) }, {}, 413, "payload_too_large", /4096/],
      [{ name: "Ada", phone: "+447700900123" }, { origin: "https://evil.example" }, 403, "cross_site_request", /./],
    ];
    for (const [body, headers, status, code, message] of cases) {
      const res = await request(body, headers, "198.51.100.8");
      assert.equal(res.status, status, JSON.stringify(body).slice(0, 40));
      const error = (await res.json()).error;
      assert.equal(error.code, code);
      assert.match(error.message, message);
    }
    assert.equal((await w.fetch("/callbacks")).status, 405);
  });

  test("rate limited per client", async () => {
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await request({ name: `Caller ${i}`, phone: "+15555550123" }, {}, "198.51.100.9")).status);
    assert.deepEqual(statuses, [201, 201, 201, 429, 429]);
    assert.equal((await request({ name: "Someone else", phone: "+15555550124" }, {}, "198.51.100.10")).status, 201);
  });
});

describe("ops see the day", () => {
  test("the day's list counts missed calls and voicemails", async () => {
    const w = await startWorker();
    try {
      const missed = `CON-${randomUUID()}`;
      await post(w, "/webhooks/event", phoneEvent(missed, "447700900001", "busy"));
      const voicemail = `CON-${randomUUID()}`;
      await post(w, "/webhooks/event", phoneEvent(voicemail, "447700900001", "unanswered"));
      await post(w, "/webhooks/recording", { recording_uuid: randomUUID(), recording_url: "https://api.nexmo.com/v1/files/x", start_time: new Date().toISOString(), end_time: new Date().toISOString(), conversation_uuid: voicemail, timestamp: new Date().toISOString() });
      const list = await eventually(async () => {
        const l = await (await w.fetch("/ops/calls?limit=1000", { headers: ops })).json();
        return l.totals.voicemails === 1 && l.totals.missed === 1 ? l : null;
      });
      assert.deepEqual(list.totals, { calls: 2, answered: 0, missed: 1, voicemails: 1, refused: 0 });
    } finally {
      await w.dispose();
    }
  });
});
