// Signs webhook requests the way Vonage does (signed webhooks: HS256 JWT in
// Authorization, payload_hash over the body or the query), using jose.
import { createHash, randomUUID } from "node:crypto";
import { SignJWT } from "jose";

const sha256 = (s) => createHash("sha256").update(s).digest("hex");

/** `query`: ordered [key, value] pairs; `body`: the exact string posted. */
export async function vonageSignature({ secret, applicationId, body, query, iat = Math.floor(Date.now() / 1000), claims = {} }) {
  const payload_hash = body !== undefined ? sha256(body) : sha256(JSON.stringify(Object.fromEntries(query)));
  const token = await new SignJWT({ iat, jti: randomUUID(), iss: "Vonage", api_key: "abcd1234", application_id: applicationId, payload_hash, ...claims })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .sign(new TextEncoder().encode(secret));
  return `Bearer ${token}`;
}
