// Pieces the benchmark (run.mjs) and the profiler (profile.mjs) share.
import http from "node:http";
import { makeTicket } from "../tests/helpers/tickets.mjs";

const tickets = [];
/** Mints `n` call tickets ahead of a load (made with jose, as tests do), so the answer route takes one each. */
/** Drops the tickets a load left over (a round's tickets for one worker only). */
export function clearTickets() {
  tickets.length = 0;
}

export async function fillTickets(n) {
  const batch = await Promise.all(Array.from({ length: n }, () => makeTicket()));
  tickets.push(...batch);
}

// An in-memory KV namespace, bound in both workers in place of Miniflare's
// (which stores every value through SQLite and blob files, so its cost and
// its noise would drown the workers' own). Runs inside each worker's isolate.
export const MEMORY_KV = `
const store = new Map();
export default function () {
  return {
    async get(key, type) {
      const e = store.get(key);
      if (!e) return null;
      return type === "json" || type?.type === "json" ? JSON.parse(e.value) : e.value;
    },
    async getWithMetadata(key) {
      const e = store.get(key);
      return e ? { value: e.value, metadata: e.metadata ?? null } : { value: null, metadata: null };
    },
    async put(key, value, options = {}) {
      store.set(key, { value: String(value), metadata: options.metadata });
    },
    async list({ prefix = "" } = {}) {
      const keys = [...store.keys()].filter((k) => k.startsWith(prefix)).sort().map((name) => ({ name, metadata: store.get(name).metadata }));
      return { keys, list_complete: true };
    },
    async delete(key) {
      store.delete(key);
    },
  };
}`;


export function request(agent, url, { method = "GET", body, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = http.request(url, { method, agent, headers }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6 }));
    });
    req.on("error", reject);
    if (body) req.end(body);
    else req.end();
  });
}

let counter = 0;
export const ROUTES = {
  auth: () => ({ path: "/auth" }),
  // A JSON 404: no work at all, so this is each runtime's fixed cost per request.
  not_found: () => ({ path: "/no/such/route", expect: 404 }),
  // An in-app call's answer request with a fresh call ticket each (see
  // fillTickets): every one goes through the call guard, as in production.
  answer: () => {
    const n = (counter++).toString(16).padStart(12, "0");
    const ticket = tickets.pop() ?? "";
    const q = new URLSearchParams({ to: "447700900000", from_user: "supportuser", endpoint_type: "app", uuid: `aaaaaaaa-0000-4000-8000-${n}`, conversation_uuid: `CON-bbbbbbbb-0000-4000-8000-${n}`, custom_data: JSON.stringify({ ticket }) });
    return { path: `/webhooks/answer?${q}` };
  },
  event: () => {
    const n = (counter++).toString(16).padStart(12, "0");
    const body = JSON.stringify({
      from: "447700900000", to: "447700900001", uuid: `aaaaaaaa-0000-4000-8000-${n}`, conversation_uuid: `CON-bbbbbbbb-0000-4000-8000-${n}`,
      status: "completed", direction: "outbound", timestamp: new Date().toISOString(), duration: "42", price: "0.0072", rate: "0.0103", network: "23410",
    });
    return { path: "/webhooks/event", method: "POST", body, headers: { "content-type": "application/json" } };
  },
};

