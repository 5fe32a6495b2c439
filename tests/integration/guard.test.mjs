// The call guard in workerd (a real Durable Object): call tickets admit one
// call each, even in parallel; forged, expired and foreign tickets admit
// none; the caps on concurrent calls and on a client's calls hold, and a
// call's final event frees its line.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { startWorker, eventually } from "../helpers/worker.mjs";
import { makeTicket } from "../helpers/tickets.mjs";
import { answerCall, answeredEntry, ticketFrom, visitorIp } from "../helpers/calls.mjs";

const connects = (ncco) => ncco.some((a) => a.action === "connect");


describe("tickets", () => {
  let w;
  before(async () => {
    w = await startWorker({ vars: { MAX_CONCURRENT_CALLS: "1000", MAX_CALLS_PER_CLIENT_HOUR: "1000" } });
  });
  after(() => w?.dispose());

  test("a ticket presented by eight calls at once connects exactly one", async () => {
    const ticket = await ticketFrom(w);
    const answers = await Promise.all(Array.from({ length: 8 }, () => answerCall(w, { ticket })));
    assert.equal(answers.filter((a) => connects(a.ncco)).length, 1);
    const refused = answers.find((a) => !connects(a.ncco));
    const entry = await answeredEntry(w, refused.conversation);
    assert.equal(entry.status, "refused");
    assert.equal(entry.raw.reason, "ticket_used");
  });

  test("Vonage retrying the same answer request (same leg) gets the same NCCO", async () => {
    const ticket = await ticketFrom(w);
    const leg = randomUUID();
    const conversation = `CON-${randomUUID()}`;
    const answers = await Promise.all(Array.from({ length: 4 }, () => answerCall(w, { ticket, leg, conversation })));
    assert.ok(answers.every((a) => connects(a.ncco)), "every retry connects");
  });

  test("calls without a valid ticket connect no one; a visitor's first of the hour is logged, the rest only counted, and the third keeps it from /auth", async () => {
    const ip = "198.19.0.1";
    const { user } = await (await w.fetch("/auth", { headers: { "cf-connecting-ip": ip } })).json();
    const attempts = [
      ["no ticket", undefined, "ticket_missing"],
      ["a forged ticket (another key)", await makeTicket({ sub: user, key: new Uint8Array(32).fill(7) })],
      ["an expired ticket", await makeTicket({ sub: user, iat: Math.floor(Date.now() / 1000) - 121 })],
    ];
    const conversations = [];
    for (const [name, ticket] of attempts) {
      const { ncco, conversation } = await answerCall(w, { ticket, user });
      assert.ok(!connects(ncco), `${name}: ${JSON.stringify(ncco)}`);
      assert.match(ncco[0].text, /cannot connect your call/);
      conversations.push(conversation);
    }
    const entry = await answeredEntry(w, conversations[0]);
    assert.equal(entry.status, "refused");
    assert.equal(entry.raw.reason, "ticket_missing");
    await new Promise((r) => setTimeout(r, 1500)); // past the queue's batch timeout
    for (const conversation of conversations.slice(1)) {
      assert.deepEqual(await w.keys(`event/${conversation}/`), [], "counted in the guard, not logged again");
    }
    const refused = await w.fetch("/auth", { headers: { "cf-connecting-ip": ip } });
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers.get("retry-after")) > 3500);
    const body = await refused.json();
    assert.equal(body.error.code, "calls_refused");
    assert.match(body.error.message, /without a valid call ticket/);
    assert.equal((await w.fetch("/auth", { headers: { "cf-connecting-ip": "198.19.0.2" } })).status, 200, "another visitor is served");
  });

  for (const [name, make] of [
    ["another user's ticket", (user) => makeTicket({ sub: `${user}-not` })],
    ["a ticket that is not a JWT", async () => "not-a-ticket"],
  ]) {
    test(`${name} connects no one`, async () => {
      const { user } = await (await w.fetch("/auth", { headers: { "cf-connecting-ip": visitorIp() } })).json();
      const { ncco } = await answerCall(w, { ticket: await make(user), user });
      assert.ok(!connects(ncco), JSON.stringify(ncco));
      assert.match(ncco[0].text, /cannot connect your call/);
    });
  }

  test("a ticket made outside the worker with the right key is honoured (the format is the documented one)", async () => {
    const { ncco } = await answerCall(w, { ticket: await makeTicket() });
    assert.ok(connects(ncco));
  });
});

describe("caps", () => {
  test("at most MAX_CONCURRENT_CALLS connected (no waiting line: MAX_QUEUE=0, voicemail instead); a final event frees a line", async () => {
    const w = await startWorker({ vars: { MAX_CONCURRENT_CALLS: "2", MAX_CALLS_PER_CLIENT_HOUR: "100", MAX_QUEUE: "0" } });
    try {
      const first = await answerCall(w, { ticket: await ticketFrom(w) });
      const second = await answerCall(w, { ticket: await ticketFrom(w) });
      const third = await answerCall(w, { ticket: await ticketFrom(w) });
      assert.ok(connects(first.ncco) && connects(second.ncco));
      assert.ok(!connects(third.ncco));
      assert.match(third.ncco[0].text, /no one can take your call/);
      assert.equal(third.ncco[1].action, "record");
      assert.equal((await answeredEntry(w, third.conversation)).raw.reason, "lines_busy");
      // The first call ends: its visitor leg's final event frees the line.
      const completed = { uuid: first.leg, conversation_uuid: first.conversation, status: "completed", direction: "inbound", timestamp: new Date().toISOString() };
      assert.equal((await w.fetch("/webhooks/event", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(completed) })).status, 200);
      const fourth = await eventually(async () => {
        const a = await answerCall(w, { ticket: await ticketFrom(w) });
        return connects(a.ncco) ? a : null;
      }, { ms: 5000, every: 200, what: "a line to be freed" });
      assert.equal(fourth.ncco[1].action, "connect");
    } finally {
      await w.dispose();
    }
  });

  test("at most MAX_CALLS_PER_CLIENT_HOUR per client, an IPv6 client counted by /64, then no more tokens", async () => {
    const w = await startWorker({ vars: { MAX_CONCURRENT_CALLS: "100", MAX_CALLS_PER_CLIENT_HOUR: "2" } });
    try {
      // Three tickets asked for up front, before any call counts.
      const t1 = await ticketFrom(w, { ip: "2001:db8:1:2::1" });
      const t2 = await ticketFrom(w, { ip: "2001:db8:1:2::ffff" });
      const t3 = await ticketFrom(w, { ip: "2001:db8:1:2:aaaa:bbbb:cccc:dddd" });
      const a1 = await answerCall(w, { ticket: t1 });
      const a2 = await answerCall(w, { ticket: t2 });
      const a3 = await answerCall(w, { ticket: t3 });
      const other = await answerCall(w, { ticket: await ticketFrom(w, { ip: "2001:db8:1:3::1" }) });
      assert.ok(connects(a1.ncco) && connects(a2.ncco), "two calls in the hour");
      assert.ok(!connects(a3.ncco), "the third from the same /64 is refused");
      assert.match(a3.ncco[0].text, /all our lines are busy/);
      assert.equal((await answeredEntry(w, a3.conversation)).raw.reason, "client_limit");
      assert.ok(connects(other.ncco), "another /64 is another client");
      const refused = await w.fetch("/auth", { headers: { "cf-connecting-ip": "2001:db8:1:2::42" } });
      assert.equal(refused.status, 429, "no token for a client out of its allowance");
      assert.equal((await refused.json()).error.code, "calls_refused");
      assert.ok(Number(refused.headers.get("retry-after")) > 3500);
    } finally {
      await w.dispose();
    }
  });

  test("one live call per client (MAX_LIVE_CALLS_PER_CLIENT): no token for another until it ends", async () => {
    const w = await startWorker({ vars: { MAX_LIVE_CALLS_PER_CLIENT: "1" } });
    try {
      const ip = "2001:db8:9:9::1";
      const early = await ticketFrom(w, { ip });
      const first = await answerCall(w, { ticket: await ticketFrom(w, { ip }) });
      assert.ok(connects(first.ncco));
      const busy = await w.fetch("/auth", { headers: { "cf-connecting-ip": "2001:db8:9:9::2" } });
      assert.equal(busy.status, 429);
      const body = await busy.json();
      assert.equal(body.error.code, "calls_refused");
      assert.match(body.error.message, /already on a call/);
      assert.equal(busy.headers.get("retry-after"), "30");
      // A ticket taken before the call began is refused at the answer too.
      const second = await answerCall(w, { ticket: early });
      assert.ok(!connects(second.ncco));
      assert.equal((await answeredEntry(w, second.conversation)).raw.reason, "client_on_call");
      const completed = { uuid: first.leg, conversation_uuid: first.conversation, status: "completed", direction: "inbound", timestamp: new Date().toISOString() };
      assert.equal((await w.fetch("/webhooks/event", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(completed) })).status, 200);
      await eventually(async () => (await w.fetch("/auth", { headers: { "cf-connecting-ip": ip } })).status === 200, { every: 200, what: "a token once the call ended" });
    } finally {
      await w.dispose();
    }
  });

  test("every connect carries limit = MAX_CALL_MINUTES × 60, so the call really ends when its line is freed", async () => {
    const w = await startWorker({ vars: { MAX_CALL_MINUTES: "7" } });
    try {
      const { ncco } = await answerCall(w, { ticket: await ticketFrom(w) });
      assert.equal(ncco[1].limit, 420);
    } finally {
      await w.dispose();
    }
  });
});
