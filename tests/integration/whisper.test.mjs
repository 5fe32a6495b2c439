// Who is calling, in workerd: what the visitor gave the page (a name and a
// reason with PRE_CALL_FORM, and the page they were on) travels in the call
// ticket, and every ring-list number's connect plays it to the agent on
// answering (NCCO reference, connect, phone endpoint `onAnswer`: "the URL
// serves an NCCO to execute in the number being connected to, before that
// call is joined to your existing conversation"), down the ring list and
// after a wait in line; ops see the same words on the call.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { startWorker, eventually, DESTINATION, OPS_TOKEN } from "../helpers/worker.mjs";
import { answerCall, answeredEntry, ticketFrom } from "../helpers/calls.mjs";

const onAnswer = (ncco) => ncco.find((a) => a.action === "connect").endpoint[0].onAnswer.url;

/** What the agent hears: the whisper URL's NCCO, asked as Vonage would (GET). */
async function whisper(w, url) {
  const { pathname, search } = new URL(url);
  const res = await w.fetch(pathname + search);
  assert.equal(res.status, 200);
  return res.json();
}

describe("with the pre-call form", () => {
  let w;
  before(async () => {
    w = await startWorker({ vars: { PRE_CALL_FORM: "true", DESTINATION_PHONE_NUMBER: undefined, DESTINATION_PHONE_NUMBERS: `${DESTINATION},447700900002`, MAX_CONCURRENT_CALLS: "1" } });
  });
  after(() => w?.dispose());

  test("the agent hears the name, the reason and the page; so does the next number; ops see it", async () => {
    assert.equal((await (await w.fetch("/config.json")).json()).pre_call_form, true);
    const ticket = await ticketFrom(w, { query: "?name=Anna&reason=billing&page=%2Fpricing%3Futm%3Dx" });
    const call = await answerCall(w, { ticket });
    const url = onAnswer(call.ncco);
    assert.equal(new URL(url).pathname, "/webhooks/whisper");
    assert.deepEqual(await whisper(w, url), [{ action: "talk", text: "Web call from Anna, about billing, from the pricing page." }]);
    assert.equal((await answeredEntry(w, call.conversation)).raw.caller, "Web call from Anna, about billing, from the pricing page.");

    // The first number rings out: the next one's connect carries the same words.
    const connect = call.ncco.find((a) => a.action === "connect");
    const { pathname, search } = new URL(connect.eventUrl[0]);
    const unanswered = { uuid: "aaaaaaaa-0000-4000-8000-000000000001", conversation_uuid: call.conversation, status: "unanswered", direction: "outbound", timestamp: new Date().toISOString() };
    const res = await w.fetch(pathname + search, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(unanswered) });
    const next = await res.json();
    assert.equal(next[0].endpoint[0].number, "447700900002");
    assert.deepEqual(await whisper(w, onAnswer(next)), [{ action: "talk", text: "Web call from Anna, about billing, from the pricing page." }]);

    // A caller who waited in line keeps their words through the transfer.
    const waiting = await answerCall(w, { ticket: await ticketFrom(w, { query: "?name=Ben&page=%2F" }) });
    assert.match(waiting.ncco[0].text, /in line/);
    const done = { uuid: call.leg, conversation_uuid: call.conversation, status: "completed", direction: "inbound", timestamp: new Date().toISOString() };
    await w.fetch("/webhooks/event", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(done) });
    const moved = await eventually(() => w.vonage.transfers.find((t) => t.leg === waiting.leg), { what: "the transfer" });
    assert.deepEqual(await whisper(w, onAnswer(moved.destination.ncco)), [{ action: "talk", text: "Web call from Ben, from the home page." }]);
    // Ben's call ends: the line is free for the next test.
    const over = { uuid: waiting.leg, conversation_uuid: waiting.conversation, status: "completed", direction: "inbound", timestamp: new Date().toISOString() };
    await w.fetch("/webhooks/event", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(over) });
    const ops = { authorization: `Bearer ${OPS_TOKEN}` };
    await eventually(async () => (await (await w.fetch("/ops/line", { headers: ops })).json()).live.length === 0, { what: "a free line" });
  });

  test("the visitor's words are cut to a few plain ones, and the whisper URL speaks nothing else", async () => {
    const ticket = await ticketFrom(w, { query: `?name=${encodeURIComponent("<speak>Eve</speak>\n\n" + "x".repeat(80))}&page=javascript:alert(1)` });
    const call = await answerCall(w, { ticket });
    const [talk] = await whisper(w, onAnswer(call.ncco));
    assert.ok(!/[<>]/.test(talk.text), talk.text);
    assert.ok(talk.text.length < 70, talk.text);
    assert.ok(!talk.text.includes("javascript"), "only a path is a page");
    // Asked directly, it only says back its own query's plain words.
    assert.deepEqual(await whisper(w, `${w.url}/webhooks/whisper`), [{ action: "talk", text: "Web call." }]);
    assert.equal((await w.fetch("/webhooks/whisper", { method: "DELETE" })).status, 405);
  });
});

describe("without the pre-call form", () => {
  let w;
  before(async () => {
    w = await startWorker();
  });
  after(() => w?.dispose());

  test("the agent hears the page only: a name and a reason are not taken", async () => {
    assert.equal((await (await w.fetch("/config.json")).json()).pre_call_form, false);
    const ticket = await ticketFrom(w, { query: "?name=Anna&reason=billing&page=%2Fteam%2Fsupport-desk.html" });
    const call = await answerCall(w, { ticket });
    assert.deepEqual(await whisper(w, onAnswer(call.ncco)), [{ action: "talk", text: "Web call, from the support desk page." }]);
  });
});
