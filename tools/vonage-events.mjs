// Realistic Vonage Voice event bodies for one click-to-call, shaped after
// Vonage's voice webhook reference: the app leg (the visitor's browser) and
// the phone leg created by the NCCO's connect action share one conversation.
import { randomUUID } from "node:crypto";

export const newLegId = () => randomUUID();
export const newConversationId = () => `CON-${randomUUID()}`;

/** Final outcomes of the phone leg, each ending with its own status. */
export const OUTCOMES = ["completed", "busy", "unanswered", "failed", "cancelled", "rejected", "timeout"];

/**
 * The events Vonage posts for one call, in order.
 * call: { conversation_uuid, app_uuid, phone_uuid, user, support, destination, start (ms), outcome, duration }
 */
export function callEvents(call) {
  const {
    conversation_uuid, app_uuid, phone_uuid, user = "supportuser", support, destination,
    start = Date.now(), outcome = "completed", duration = 42,
  } = call;
  let t = start;
  const at = (ms) => new Date((t += ms)).toISOString();
  const app = { from: user, to: support, uuid: app_uuid, conversation_uuid, direction: "inbound" };
  const phone = { from: support, to: destination, uuid: phone_uuid, conversation_uuid, direction: "outbound" };
  const events = [
    { ...app, status: "started", timestamp: at(0) },
    { ...app, status: "answered", timestamp: at(150) },
    { ...phone, status: "started", timestamp: at(900) },
    { ...phone, status: "ringing", timestamp: at(400) },
  ];
  if (outcome === "completed") {
    const answered = t + 4000;
    events.push({ ...phone, status: "answered", timestamp: at(4000), start_time: new Date(answered).toISOString(), rate: "0.01030000", network: "23410" });
    const end = at(duration * 1000);
    events.push({
      ...phone, status: "completed", timestamp: end, start_time: new Date(answered).toISOString(), end_time: end,
      duration: String(duration), rate: "0.01030000", price: ((duration / 60) * 0.0103).toFixed(8), network: "23410",
    });
  } else {
    const detail = { busy: "busy", unanswered: "no_answer", failed: "invalid_number", cancelled: "cancelled", rejected: "declined", timeout: "ringing_timeout" }[outcome];
    events.push({ ...phone, status: outcome, timestamp: at(outcome === "unanswered" ? 60_000 : 3000), detail });
  }
  events.push({ ...app, status: "completed", timestamp: at(300), duration: outcome === "completed" ? String(duration + 5) : "5" });
  return events;
}

/** The answer webhook's query for an in-app call (what Vonage sends on GET). */
export function answerQuery(call, context = { page: "/" }) {
  return {
    to: call.support,
    from: call.user ?? "supportuser",
    uuid: call.app_uuid,
    conversation_uuid: call.conversation_uuid,
    custom_data: JSON.stringify(context),
  };
}
