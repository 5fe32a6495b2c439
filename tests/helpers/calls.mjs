// A call as the page and Vonage make it, for the workerd tests: a ticket
// from /auth, the answer webhook's in-app request, and a stand-in for
// Vonage's media API that serves the voicemail fixture.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import path from "node:path";
import { root, SUPPORT } from "./worker.mjs";

export const VOICEMAIL = readFileSync(path.join(root, "tests/fixtures/voicemail.mp3"));

/** An IP of its own per visitor, so the per-client cap does not add up across tests. */
export const visitorIp = () => `203.0.113.${Math.floor(Math.random() * 250)}`;

/** The call ticket `/auth` hands a visitor at `ip` (`query`: e.g. `?lang=de`). */
export async function ticketFrom(w, { ip = "203.0.113.10", query = "" } = {}) {
  const res = await w.fetch(`/auth${query}`, { headers: { "cf-connecting-ip": ip } });
  assert.equal(res.status, 200);
  return (await res.json()).ticket;
}

/** An in-app call's answer request, as Vonage makes it; `context` is the rest of serverCall's context. */
export async function answerCall(w, { ticket, context = {}, leg = randomUUID(), conversation = `CON-${randomUUID()}`, user = "supportuser" } = {}) {
  const custom_data = JSON.stringify({ ticket, ...context });
  const q = new URLSearchParams({ to: SUPPORT, from_user: user, endpoint_type: "app", uuid: leg, conversation_uuid: conversation, custom_data });
  const res = await w.fetch(`/webhooks/answer?${q}`);
  assert.equal(res.status, 200);
  return { ncco: await res.json(), leg, conversation };
}

/**
 * Vonage's media API on a local port: the voicemail to a request with a
 * Bearer token, 401 otherwise; `seen` holds each request's path and
 * Authorization.
 */
export async function mediaApi() {
  const seen = [];
  const server = createServer((req, res) => {
    seen.push({ path: req.url, authorization: req.headers.authorization });
    const authorized = req.headers.authorization?.startsWith("Bearer ");
    res.writeHead(authorized ? 200 : 401, { "content-type": "audio/mpeg", "content-length": VOICEMAIL.length });
    res.end(VOICEMAIL);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { origin: `http://127.0.0.1:${server.address().port}`, seen, close: () => new Promise((r) => server.close(r)) };
}
