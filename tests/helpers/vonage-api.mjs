// Vonage's REST APIs on a local port, for the workerd and browser tests:
// the Users API (POST /v1/users: 201 with the user, as the Application API
// v2 reference shows it), the media API (GET /v1/files/<id>: the
// voicemail fixture) and the Voice API's transfer (Voice API reference,
// "Modify an in progress call": PUT /v1/calls/<uuid> with {"action":
// "transfer", "destination": {"type": "ncco", "ncco": [...]}}, answered
// 204 No Content; 404 for a call that is over). Each needs the application's JWT, verified here with
// jose and the test key's public half: an implementation independent of the
// worker's signer. `users`, `transfers` and `seen` record what was asked.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { jwtVerify } from "jose";
import { testKeys } from "./keys.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const VOICEMAIL = readFileSync(path.join(root, "tests/fixtures/voicemail.mp3"));

async function verified(authorization, applicationId) {
  const token = authorization?.startsWith("Bearer ") ? authorization.slice(7) : null;
  if (!token) return "no Authorization: Bearer <JWT>";
  try {
    const { payload } = await jwtVerify(token, testKeys().publicKey, { algorithms: ["RS256"] });
    if (applicationId && payload.application_id !== applicationId) return "another application's JWT";
    return null;
  } catch (e) {
    return `the JWT does not verify: ${e.code ?? e.message}`;
  }
}

/**
 * options.applicationId: the application the JWT must name.
 * The returned object's `usersStatus` (default 201) makes the Users API
 * answer another status, and `usersDelayMs` answer late; `transferStatus`
 * (default 204; or a function of the request's body) is the Voice API's
 * answer to a transfer.
 */
export async function vonageApi({ applicationId } = {}) {
  const api = { users: [], transfers: [], seen: [], usersStatus: 201, usersDelayMs: 0, transferStatus: 204 };
  const server = createServer(async (req, res) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    const problem = await verified(req.headers.authorization, applicationId);
    api.seen.push({ method: req.method, path: req.url, authorization: req.headers.authorization, problem });
    if (req.method === "POST" && req.url === "/v1/users") {
      if (problem) return void res.writeHead(401, { "content-type": "application/json" }).end('{"title":"Unauthorized"}');
      if (api.usersDelayMs) await new Promise((r) => setTimeout(r, api.usersDelayMs));
      if (api.usersStatus !== 201) return void res.writeHead(api.usersStatus, { "content-type": "application/json" }).end('{"title":"Unavailable"}');
      const asked = JSON.parse(body || "{}");
      const user = { id: `USR-${randomUUID()}`, name: asked.name, display_name: asked.display_name, properties: { custom_data: {}, ...asked.properties } };
      api.users.push(user);
      return void res
        .writeHead(201, { "content-type": "application/json" })
        .end(JSON.stringify({ ...user, _links: { self: { href: `${api.origin}/v1/users/${user.id}` } } }));
    }
    const call = req.url.match(/^\/v1\/calls\/([0-9A-Za-z-]+)$/);
    if (req.method === "PUT" && call) {
      if (problem) return void res.writeHead(401, { "content-type": "application/json" }).end('{"title":"Unauthorized"}');
      const asked = JSON.parse(body || "{}");
      const status = typeof api.transferStatus === "function" ? api.transferStatus(asked) : api.transferStatus;
      api.transfers.push({ leg: call[1], action: asked.action, destination: asked.destination, status });
      if (status !== 204) return void res.writeHead(status, { "content-type": "application/json" }).end('{"title":"Failed"}');
      return void res.writeHead(204).end();
    }
    if (req.method === "GET" && req.url.startsWith("/v1/files/")) {
      if (problem) return void res.writeHead(401, { "content-type": "application/json" }).end('{"title":"Unauthorized"}');
      return void res.writeHead(200, { "content-type": "audio/mpeg", "content-length": VOICEMAIL.length }).end(VOICEMAIL);
    }
    res.writeHead(404, { "content-type": "application/json" }).end('{"title":"Not Found"}');
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  api.origin = `http://127.0.0.1:${server.address().port}`;
  api.close = () => new Promise((r) => server.close(r));
  return api;
}
