// Call tickets made outside the worker, with Node's HKDF and jose (an
// implementation independent of src/ticket.rs), for tickets the worker must
// refuse: expired ones, and ones for another caller.
import { createPrivateKey, hkdfSync, randomBytes } from "node:crypto";
import { SignJWT } from "jose";
import { testKeys } from "./keys.mjs";

/** The ticket signing key, derived from the test private key as the worker derives it. */
export function ticketKey(pem = testKeys().privateKeyPem) {
  const der = createPrivateKey(pem).export({ type: "pkcs8", format: "der" });
  return new Uint8Array(hkdfSync("sha256", der, "edge-click-to-call", "call ticket v1", 32));
}

export async function makeTicket({ sub = "supportuser", iat = Math.floor(Date.now() / 1000), ttl = 120, key = ticketKey(), cli = "0123456789abcdef" } = {}) {
  return new SignJWT({ jti: randomBytes(16).toString("hex"), sub, tok: "0".repeat(32), cli })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttl)
    .sign(key);
}
