// The call guard in workerd (a real Durable Object): call tickets admit one
// call each, even in parallel; forged, expired and foreign tickets admit
// none; the caps on concurrent calls and on a client's calls hold, and a
// call's final event frees its line.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { startWorker, eventually } from "../helpers/worker.mjs";
import { makeTicket } from "../helpers/tickets.mjs";
import { answerCall, ticketFrom } from "../helpers/calls.mjs";

const connects = (ncco) => ncco.some((a) => a.action === "connect");


async function answeredEntry(w, conversation) {
  const keys = await eventually(async () => {
    const k = await w.keys(`event/${conversation}/`);
    return k.length ? k : null;
  });
  return JSON.parse(await w.kv.get(keys[0]));
}

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

  for (const [name, make, reason] of [
    ["no ticket", async () => undefined, "ticket_missing"],
    ["a forged ticket (another key)", () => makeTicket({ key: new Uint8Array(32).fill(7) }), "ticket_forged"],
    ["an expired ticket", () => makeTicket({ iat: Math.floor(Date.now() / 1000) - 121 }), "ticket_expired"],
    ["another user's ticket", () => makeTicket({ sub: "mallory" }), "ticket_other_caller"],
    ["a ticket that is not a JWT", async () => "not-a-ticket", "ticket_malformed"],
  ]) {
    test(`${name} connects no one, and the refusal is logged`, async () => {
      const { ncco, conversation } = await answerCall(w, { ticket: await make() });
      assert.ok(!connects(ncco), JSON.stringify(ncco));
      assert.match(ncco[0].text, /cannot connect your call/);
      const entry = await answeredEntry(w, conversation);
      assert.equal(entry.status, "refused");
      assert.equal(entry.raw.reason, reason);
    });
  }

  test("a ticket made outside the worker with the right key is honoured (the format is the documented one)", async () => {
    const { ncco } = await answerCall(w, { ticket: await makeTicket() });
    assert.ok(connects(ncco));
  });
});

describe("caps", () => {
  test("at most MAX_CONCURRENT_CALLS connected; a final event frees a line", async () => {
    const w = await startWorker({ vars: { MAX_CONCURRENT_CALLS: "2", MAX_CALLS_PER_CLIENT_HOUR: "100" } });
    try {
      const first = await answerCall(w, { ticket: await ticketFrom(w) });
      const second = await answerCall(w, { ticket: await ticketFrom(w) });
      const third = await answerCall(w, { ticket: await ticketFrom(w) });
      assert.ok(connects(first.ncco) && connects(second.ncco));
      assert.ok(!connects(third.ncco));
      assert.match(third.ncco[0].text, /all our lines are busy/);
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

  test("at most MAX_CALLS_PER_CLIENT_HOUR per client, an IPv6 client counted by /64", async () => {
    const w = await startWorker({ vars: { MAX_CONCURRENT_CALLS: "100", MAX_CALLS_PER_CLIENT_HOUR: "2" } });
    try {
      const a1 = await answerCall(w, { ticket: await ticketFrom(w, { ip: "2001:db8:1:2::1" }) });
      const a2 = await answerCall(w, { ticket: await ticketFrom(w, { ip: "2001:db8:1:2::ffff" }) });
      const a3 = await answerCall(w, { ticket: await ticketFrom(w, { ip: "2001:db8:1:2:aaaa:bbbb:cccc:dddd" }) });
      const other = await answerCall(w, { ticket: await ticketFrom(w, { ip: "2001:db8:1:3::1" }) });
      assert.ok(connects(a1.ncco) && connects(a2.ncco), "two calls in the hour");
      assert.ok(!connects(a3.ncco), "the third from the same /64 is refused");
      assert.match(a3.ncco[0].text, /all our lines are busy/);
      assert.equal((await answeredEntry(w, a3.conversation)).raw.reason, "client_limit");
      assert.ok(connects(other.ncco), "another /64 is another client");
    } finally {
      await w.dispose();
    }
  });
});
