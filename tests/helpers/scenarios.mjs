// Calls for the JS tests, rendered from the same fixtures the Rust simulator
// plays: tests/scenarios/*.json (which events, in which order) and
// tests/fixtures/call-legs.json (what each looks like, after Vonage's
// webhook reference). tools/simulate/src/fixtures.rs renders them the same way.
import { randomUUID } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { root, SUPPORT, DESTINATION } from "./worker.mjs";

const scenarioDir = path.join(root, "tests/scenarios");
const shapes = JSON.parse(readFileSync(path.join(root, "tests/fixtures/call-legs.json"), "utf8"));

export const newLegId = () => randomUUID();
export const newConversationId = () => `CON-${randomUUID()}`;

export function scenarioNames() {
  return readdirSync(scenarioDir).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5)).sort();
}

export function loadScenario(name) {
  return JSON.parse(readFileSync(path.join(scenarioDir, `${name}.json`), "utf8"));
}

/** Replaces every `{name}` in the strings of a JSON value. */
function fill(value, vars) {
  if (typeof value === "string") {
    return value.replace(/\{([a-z_]+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
  }
  if (Array.isArray(value)) return value.map((v) => fill(v, vars));
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, vars)]));
  return value;
}

/** The Vonage user a call ticket is bound to (the per-call user /auth created), else the dev user. */
const ticketUser = (ticket) =>
  ticket ? JSON.parse(Buffer.from(ticket.split(".")[1], "base64url").toString()).sub : "supportuser";

/**
 * One call of a scenario: its ids, the answer request Vonage would make and
 * the event bodies it would post, with timestamps from `start`.
 */
export function newCall({
  scenario = "completed", start = Date.now(), context = { page: "/" }, user = ticketUser(context.ticket),
  support = SUPPORT, destinations = [DESTINATION], mediaOrigin = "https://api.nexmo.com",
} = {}) {
  const plan = typeof scenario === "string" ? loadScenario(scenario) : scenario;
  const phoneUuids = destinations.map(() => newLegId());
  const recording_uuid = newLegId();
  const vars = {
    conversation_uuid: newConversationId(), app_uuid: newLegId(), phone_uuid: phoneUuids[0],
    user, support, destination: destinations[0], custom_data: JSON.stringify(context),
    recording_uuid, recording_url: `${mediaOrigin}/v1/files/${recording_uuid}`,
  };
  let t = start;
  const events = plan.events.map((event) => {
    t += event.after_ms ?? 0;
    const ring = event.ring ?? 0;
    const at = {
      ...vars, phone_uuid: phoneUuids[ring], destination: destinations[ring],
      timestamp: new Date(t).toISOString(), began: new Date(t - (event.lasts_ms ?? 0)).toISOString(),
    };
    if (event.raw_body !== undefined) return { ...event, body: event.raw_body, at: t };
    const body = fill(event.body ?? shapes.legs[event.leg ?? "app"].fields, at);
    if (event.status !== undefined) body.status = event.status;
    Object.assign(body, fill(event.fields ?? {}, at));
    return { ...event, body, at: t };
  });
  return { ...vars, phoneUuids, start, scenario: plan, answer: fill(shapes.answer.fields, vars), events };
}

/** The accepted event bodies of a call, in order. */
export const callEvents = (call) => call.events.filter((e) => !e.expect_refusal).map((e) => e.body);
