// A call as the page and Vonage make it, for the workerd tests: a ticket
// from /auth, the answer webhook's in-app request (placed as the user the
// ticket names), and Vonage's media API (helpers/vonage-api.mjs).
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { SUPPORT, eventually } from "./worker.mjs";

export { VOICEMAIL } from "./vonage-api.mjs";

/** An IP of its own per visitor (198.18.0.0/15, for tests), so the per-client caps do not add up across tests. */
let visitors = Math.floor(Math.random() * 60_000);
export const visitorIp = () => {
  visitors = (visitors + 1) % 65_536;
  return `198.18.${visitors >> 8}.${visitors & 255}`;
};

/** The call ticket `/auth` hands a visitor at `ip` (`query`: e.g. `?lang=de`); a visitor of its own by default. */
export async function ticketFrom(w, { ip = visitorIp(), query = "" } = {}) {
  const res = await w.fetch(`/auth${query}`, { headers: { "cf-connecting-ip": ip } });
  assert.equal(res.status, 200);
  return (await res.json()).ticket;
}

/** The user a ticket (a JWT) names: the Vonage user the call is placed as. */
export const userOf = (ticket) => JSON.parse(Buffer.from(ticket.split(".")[1], "base64url").toString()).sub;

/** An in-app call's answer request, as Vonage makes it (from the ticket's user); `context` is the rest of serverCall's context. */
export async function answerCall(w, { ticket, context = {}, leg = randomUUID(), conversation = `CON-${randomUUID()}`, user = ticket ? userOf(ticket) : "supportuser" } = {}) {
  const custom_data = JSON.stringify({ ticket, ...context });
  const q = new URLSearchParams({ to: SUPPORT, from_user: user, endpoint_type: "app", uuid: leg, conversation_uuid: conversation, custom_data });
  const res = await w.fetch(`/webhooks/answer?${q}`);
  assert.equal(res.status, 200);
  return { ncco: await res.json(), leg, conversation };
}

/** Vonage's media API (and Users API) on a local port: see helpers/vonage-api.mjs. */
export { vonageApi as mediaApi } from "./vonage-api.mjs";

/** The answer webhook's entry in a call's log (it sorts first), once it is written. */
export async function answeredEntry(w, conversation) {
  const keys = await eventually(async () => {
    const k = await w.keys(`event/${conversation}/`);
    return k.length ? k : null;
  });
  return JSON.parse(await w.kv.get(keys[0]));
}
