// The waiting line in workerd (the call guard, a real Durable Object, and
// its alarm): when every line is busy a caller is put on hold with their
// place, first in first out; a freed line moves the longest-waiting caller
// on through Vonage's Voice API (transfer, helpers/vonage-api.mjs stands
// in); a caller who hangs up leaves at once; the line is bounded; a failed
// transfer sends the caller to voicemail; time frees a line whose final
// event was lost, and ends a wait that lasts too long.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { startWorker, eventually, DESTINATION, OPS_TOKEN } from "../helpers/worker.mjs";
import { answerCall, ticketFrom, userOf } from "../helpers/calls.mjs";

const connects = (ncco) => ncco.some((a) => a.action === "connect");
const records = (ncco) => ncco.some((a) => a.action === "record");

/** A caller of their own (own IP): their ticket, user, and the answer. */
async function call(w) {
  const ticket = await ticketFrom(w);
  const answered = await answerCall(w, { ticket });
  return { ...answered, user: userOf(ticket) };
}

/** The visitor leg's final event, as Vonage sends it when a caller hangs up. */
async function hangUp(w, { leg, conversation }) {
  const completed = { uuid: leg, conversation_uuid: conversation, status: "completed", direction: "inbound", timestamp: new Date().toISOString() };
  const res = await w.fetch("/webhooks/event", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(completed) });
  assert.equal(res.status, 200);
}

const place = async (w, user) => (await (await w.fetch(`/line/${user}`)).json()).place;

/** Server-Sent Events from a response: each event's `data`, parsed, as it arrives. */
async function* events(res) {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of res.body) {
    buffer += decoder.decode(chunk, { stream: true });
    for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
      const data = buffer.slice(0, end).split("\n").find((l) => l.startsWith("data: "));
      buffer = buffer.slice(end + 2);
      if (data) yield JSON.parse(data.slice(6));
    }
  }
}

describe("a full line", () => {
  let w;
  const shared = {};
  before(async () => {
    w = await startWorker({ vars: { MAX_CONCURRENT_CALLS: "1", MAX_QUEUE: "2", MAX_WAIT_SECONDS: "300" } });
  });
  after(() => w?.dispose());

  test("callers wait in order with their place; one hanging up leaves at once; a freed line moves the first on; past MAX_QUEUE, voicemail", async () => {
    const first = await call(w);
    assert.ok(connects(first.ncco), "a free line connects");

    const second = await call(w);
    // Hold: the place spoken, the music looped, then (should no transfer come) voicemail.
    const [talk, stream, ...rest] = second.ncco;
    assert.equal(talk.action, "talk");
    assert.match(talk.text, /number 1 in line/);
    assert.equal(stream.action, "stream");
    assert.match(stream.streamUrl[0], /\/audio\/hold\.wav$/);
    assert.ok(stream.loop >= 30, `the music outlasts MAX_WAIT_SECONDS: loop ${stream.loop}`);
    assert.ok(records(rest), "voicemail after the music");
    assert.ok(!connects(second.ncco));
    const music = await w.fetch(new URL(stream.streamUrl[0]).pathname);
    assert.equal(music.status, 200);
    assert.match(music.headers.get("content-type"), /audio\/(wav|x-wav|wave)/);

    const third = await call(w);
    assert.match(third.ncco[0].text, /number 2 in line/);

    const fourth = await call(w);
    assert.ok(records(fourth.ncco) && !connects(fourth.ncco), `the line is full: voicemail, ${JSON.stringify(fourth.ncco)}`);

    // Ops see the line now: the call in progress and who waits, in order.
    const ops = await (await w.fetch("/ops/line", { headers: { authorization: `Bearer ${OPS_TOKEN}` } })).json();
    assert.equal(ops.lines, 1);
    assert.deepEqual(ops.live.map((c) => c.leg), [first.leg]);
    assert.deepEqual(ops.waiting.map((c) => [c.place, c.leg]), [[1, second.leg], [2, third.leg]]);
    assert.ok(!JSON.stringify(ops).includes(second.user), "no user names");
    assert.equal((await w.fetch("/ops/line")).status, 401);

    // The page asks its place by its Vonage user.
    const line = await (await w.fetch(`/line/${third.user}`)).json();
    assert.equal(line.place, 2);
    assert.equal(line.lines, 1);
    assert.ok(line.wait_seconds > 0);
    assert.equal(await place(w, first.user), null, "a connected caller waits for nothing");
    assert.equal((await w.fetch("/line/not%20a%20user")).status, 400);

    // The page follows its place as the guard pushes it (Server-Sent Events),
    // and so do ops.
    // (Streams never end: fetched directly, not through the helper that reads bodies whole.)
    const pushed = await fetch(`${w.url}/line/${third.user}`, { headers: { accept: "text/event-stream" } });
    assert.equal(pushed.status, 200);
    assert.match(pushed.headers.get("content-type"), /^text\/event-stream/);
    const thirdsPlaces = events(pushed);
    assert.equal((await thirdsPlaces.next()).value.place, 2, "the place now, at once");
    const opsPushed = await fetch(`${w.url}/ops/line`, { headers: { accept: "text/event-stream", authorization: `Bearer ${OPS_TOKEN}` } });
    const opsViews = events(opsPushed);
    assert.equal((await opsViews.next()).value.waiting.length, 2);
    assert.equal((await w.fetch("/ops/line", { headers: { accept: "text/event-stream" } })).status, 401);

    // The second hangs up while waiting: the third is next at once.
    await hangUp(w, second);
    assert.equal((await thirdsPlaces.next()).value.place, 1, "pushed when the line moved");
    assert.equal((await opsViews.next()).value.waiting.length, 1);
    await thirdsPlaces.return();
    await opsViews.return();
    await eventually(async () => (await place(w, third.user)) === 1, { what: "the third is next" });
    assert.equal(await place(w, second.user), null);
    assert.equal(w.vonage.transfers.length, 0, "nobody moved: the line is still busy");

    // The first call ends: its line goes to the third, transferred to the ring list.
    await hangUp(w, first);
    const moved = await eventually(() => w.vonage.transfers.find((t) => t.leg === third.leg), { what: "the third's transfer" });
    assert.equal(moved.action, "transfer");
    assert.equal(moved.destination.type, "ncco");
    const connect = moved.destination.ncco.find((a) => a.action === "connect");
    assert.equal(connect.endpoint[0].number, DESTINATION);
    assert.equal(await place(w, third.user), null);
    assert.ok(!w.vonage.transfers.some((t) => t.leg === second.leg), "who hung up is not moved");

    // The third's call holds the line now: a new caller waits.
    const fifth = await call(w);
    assert.match(fifth.ncco[0].text, /number 1 in line/);
    Object.assign(shared, { third, fifth });
  });

  test("a failed transfer sends the caller to voicemail, and the line to the next", async () => {
    // From the test above: the third holds the line, the fifth waits.
    const { third, fifth } = shared;
    w.vonage.transferStatus = (asked) => (asked.destination?.ncco?.some((a) => a.action === "connect") ? 500 : 204);
    try {
      const sixth = await call(w);
      assert.match(sixth.ncco[0].text, /number 2 in line/);
      await hangUp(w, third);
      // The fifth's transfer to a line fails: voicemail instead, and the line is the sixth's (whose transfer fails too).
      const toVoicemail = await eventually(
        () => w.vonage.transfers.find((t) => t.leg === fifth.leg && t.destination.ncco.some((a) => a.action === "record")),
        { what: "the fifth's voicemail transfer" },
      );
      assert.equal(toVoicemail.status, 204);
      assert.ok(w.vonage.transfers.some((t) => t.leg === fifth.leg && t.status === 500), "the transfer to a line was tried first");
      await eventually(() => w.vonage.transfers.find((t) => t.leg === sixth.leg && t.status === 204), { what: "the sixth moved on" });
      assert.ok(w.logs.some((l) => /could not be put through/.test(l)), "the worker's log says why");
      assert.equal(await place(w, fifth.user), null);
      assert.equal(await place(w, sixth.user), null);
    } finally {
      w.vonage.transferStatus = 204;
    }
  });
});

describe("time moves the line", () => {
  let w;
  before(async () => {
    w = await startWorker({ vars: { MAX_CONCURRENT_CALLS: "1", MAX_QUEUE: "5", MAX_WAIT_SECONDS: "30", MAX_CALL_MINUTES: "1" } });
  });
  after(() => w?.dispose());

  test("a caller who waits MAX_WAIT_SECONDS goes to voicemail; a line whose final event is lost frees after MAX_CALL_MINUTES", { timeout: 120_000 }, async () => {
    const started = Date.now();
    const first = await call(w);
    assert.ok(connects(first.ncco));
    const second = await call(w);
    assert.match(second.ncco[0].text, /number 1 in line/);
    const toVoicemail = await eventually(() => w.vonage.transfers.find((t) => t.leg === second.leg), { ms: 45_000, what: "the second's move to voicemail" });
    assert.ok(toVoicemail.destination.ncco.some((a) => a.action === "record"));
    assert.ok(Date.now() - started >= 29_000, "not before MAX_WAIT_SECONDS");
    assert.equal(await place(w, second.user), null);

    // No final event ever comes for the first call: after a minute its line is the third's.
    const third = await call(w);
    assert.match(third.ncco[0].text, /number 1 in line/);
    const moved = await eventually(() => w.vonage.transfers.find((t) => t.leg === third.leg), { ms: 45_000, what: "the third's transfer" });
    assert.ok(moved.destination.ncco.some((a) => a.action === "connect"));
    assert.ok(Date.now() - started >= 59_000, "not before MAX_CALL_MINUTES");
  });
});

describe("out of hours", () => {
  let w;
  const closedDays = () => [0, 1, 2, 3].map((d) => new Date(Date.now() + d * 86_400_000).toISOString().slice(0, 10)).join(",");
  before(async () => {
    w = await startWorker({ vars: { MAX_CONCURRENT_CALLS: "1", MAX_QUEUE: "5", OPENING_HOURS: "Mon-Sun 09:00-17:00", CLOSED_DATES: closedDays() } });
  });
  after(() => w?.dispose());

  test("nobody waits for a line when the line is closed: voicemail, and out of the line at once", async () => {
    const first = await call(w);
    assert.ok(records(first.ncco) && !connects(first.ncco));
    const second = await call(w);
    assert.ok(records(second.ncco), JSON.stringify(second.ncco));
    assert.match(second.ncco[0].text, /We are closed right now/);
    const ops = { authorization: `Bearer ${OPS_TOKEN}` };
    await eventually(async () => (await (await w.fetch("/ops/line", { headers: ops })).json()).waiting.length === 0, { what: "the line to be empty" });
    assert.equal(await place(w, second.user), null);
  });
});
