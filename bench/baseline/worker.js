// The benchmark's baseline: the same work as the Rust worker, written the
// usual JavaScript way (jose over WebCrypto, the key imported once per
// isolate), so the two can be compared in the same run. Not deployed.
import { SignJWT, importPKCS8 } from "jose";

const ACL = {
  paths: Object.fromEntries(
    ["users", "conversations", "sessions", "devices", "image", "media", "applications", "push", "knocking", "legs"].map((p) => [`/*/${p}/**`, {}]),
  ),
};
const ID = /^(CON-)?[0-9a-fA-F-]{8,64}$/;
const TTL = 30 * 86400;
let keyPromise;

const json = (value, status = 200) => Response.json(value, { status, headers: { "cache-control": "no-store" } });
const error = (status, code, message) => json({ error: { code, message } }, status);

async function mint(env) {
  keyPromise ??= importPKCS8(env.VONAGE_PRIVATE_KEY, "RS256");
  const key = await keyPromise;
  const iat = Math.floor(Date.now() / 1000);
  const jti = [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, "0")).join("");
  const token = await new SignJWT({ application_id: env.VONAGE_APPLICATION_ID, sub: "supportuser", jti, acl: ACL })
    .setProtectedHeader({ alg: "RS256", typ: "JWT" })
    .setIssuedAt(iat)
    .setExpirationTime(iat + 900)
    .sign(key);
  return { token, user: "supportuser", expires_at: iat + 900 };
}

async function hash16(text) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return [...digest.slice(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The same KV work as the Rust worker's direct path: the entry, then the merged day index. */
async function log(env, id, status, at, text, raw) {
  const key = `event/${id}/${String(at).padStart(13, "0")}-${await hash16(text)}`;
  const iso = new Date(at).toISOString();
  const entry = { received_at: new Date().toISOString(), at: iso, status, call_id: id, uuid: raw.uuid ?? null, conversation_uuid: raw.conversation_uuid ?? null, direction: raw.direction ?? null, from: raw.from ?? null, to: raw.to ?? null, raw };
  await env.CALL_EVENTS.put(key, JSON.stringify(entry), { expirationTtl: TTL });
  const index = `call/${iso.slice(0, 10)}/${id}`;
  const summary = { status, first_event_ms: at, last_event_ms: at, from: raw.from ?? null, to: raw.to ?? null };
  const { metadata: old } = await env.CALL_EVENTS.getWithMetadata(index);
  const merged = old
    ? { status: at >= old.last_event_ms ? status : old.status, first_event_ms: Math.min(old.first_event_ms, at), last_event_ms: Math.max(old.last_event_ms, at), from: old.from ?? summary.from, to: old.to ?? summary.to }
    : summary;
  if (JSON.stringify(old) !== JSON.stringify(merged)) await env.CALL_EVENTS.put(index, "", { metadata: merged, expirationTtl: TTL });
  return key;
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === "/auth" && request.method === "GET") return json(await mint(env));
    if (url.pathname === "/bench/sign") {
      const n = Number(url.searchParams.get("n") ?? 1);
      let last;
      for (let i = 0; i < n; i++) last = await mint(env);
      return json({ strategy: "jose", n, token: last.token });
    }
    if (url.pathname === "/webhooks/answer") {
      const q = Object.fromEntries(url.searchParams);
      const ncco = [
        { action: "talk", text: env.GREETING },
        { action: "connect", from: env.SUPPORT_PHONE_NUMBER, endpoint: [{ type: "phone", number: env.DESTINATION_PHONE_NUMBER }] },
      ];
      const id = q.conversation_uuid ?? q.uuid;
      if (id && ID.test(id)) ctx.waitUntil(log(env, id, "answered", Date.now(), JSON.stringify(q), { ...q, source: "answer_webhook", ncco: "connect" }));
      return json(ncco);
    }
    if (url.pathname === "/webhooks/event" && request.method === "POST") {
      if ((request.headers.get("content-type") ?? "").split(";")[0].trim() !== "application/json") return error(415, "unsupported_media_type", "expected application/json");
      const text = await request.text();
      if (text.length > 65536) return error(413, "payload_too_large", "too large");
      let body;
      try {
        body = JSON.parse(text);
      } catch (e) {
        return error(400, "invalid_json", String(e));
      }
      if (typeof body !== "object" || body === null || Array.isArray(body)) return error(400, "invalid_event", "expected an object");
      const id = body.conversation_uuid ?? body.uuid ?? body.call_uuid;
      if (typeof id !== "string" || !ID.test(id)) return error(400, "invalid_id", "bad id");
      const at = Date.parse(body.timestamp) || Date.now();
      const key = await log(env, id, typeof body.status === "string" ? body.status : "event", at, text, body);
      return json({ accepted: true, key, via: "kv" });
    }
    return error(404, "not_found", "no such route");
  },
};
