// Vonage's account-level REST APIs on a local port, for `make deploy`'s
// tests: the shapes of Vonage's own references, as far as the deploy uses them.
//   GET  /account/get-balance       Account API (api_key, api_secret in the query)
//        https://developer.vonage.com/en/api/account#getAccountBalance
//   GET  /account/numbers           Numbers API, the account's numbers
//        https://developer.vonage.com/en/api/numbers#getOwnedNumbers
//   POST /number/update             Numbers API, link a number (app_id; form-encoded)
//        https://developer.vonage.com/en/api/numbers#updateANumber
//   POST /v2/applications, GET|PUT /v2/applications/:id   Applications API v2
//        (Basic authentication; capabilities.voice.webhooks.{answer_url,
//        event_url, fallback_answer_url}, capabilities.voice.signed_callbacks,
//        keys.public_key) https://developer.vonage.com/en/api/application.v2
// `applications`, `links` and `seen` record what was asked.
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";

export async function vonageAccount({ apiKey = "abcd1234", apiSecret = "s3cretS3cret", numbers = [{ country: "GB", msisdn: "447700900000" }] } = {}) {
  const account = { applications: new Map(), links: [], seen: [], apiKey, apiSecret, numbers };
  const json = (res, status, body) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  const server = createServer(async (req, res) => {
    let text = "";
    for await (const chunk of req) text += chunk;
    const url = new URL(req.url, "http://x");
    account.seen.push({ method: req.method, path: url.pathname });
    const params = req.headers["content-type"]?.startsWith("application/x-www-form-urlencoded") ? new URLSearchParams(text) : url.searchParams;
    const keyed = params.get("api_key") === account.apiKey && params.get("api_secret") === account.apiSecret;
    const basic = req.headers.authorization === `Basic ${Buffer.from(`${account.apiKey}:${account.apiSecret}`).toString("base64")}`;
    if (url.pathname === "/account/get-balance" && req.method === "GET") {
      return keyed ? json(res, 200, { value: 10.5, autoReload: false }) : json(res, 401, { "error-code": "401", "error-code-label": "authentication failed" });
    }
    if (url.pathname === "/account/numbers" && req.method === "GET") {
      if (!keyed) return json(res, 401, { "error-code": "401", "error-code-label": "authentication failed" });
      const pattern = url.searchParams.get("pattern") ?? "";
      const found = account.numbers.filter((n) => n.msisdn.startsWith(pattern));
      return json(res, 200, { count: found.length, numbers: found.map((n) => ({ ...n, type: "mobile-lvn", features: ["VOICE", "SMS"] })) });
    }
    if (url.pathname === "/number/update" && req.method === "POST") {
      if (!keyed) return json(res, 401, { "error-code": "401", "error-code-label": "authentication failed" });
      const number = account.numbers.find((n) => n.msisdn === params.get("msisdn") && n.country === params.get("country"));
      if (!number || !account.applications.has(params.get("app_id"))) return json(res, 200, { "error-code": "420", "error-code-label": "Invalid parameters" });
      account.links.push({ msisdn: number.msisdn, app_id: params.get("app_id") });
      return json(res, 200, { "error-code": "200", "error-code-label": "success" });
    }
    const app = url.pathname.match(/^\/v2\/applications(?:\/([\w-]+))?$/);
    if (app) {
      if (!basic) return json(res, 401, { type: "https://developer.nexmo.com/api-errors#unauthorized", title: "Unauthorized" });
      const [, id] = app;
      if (!id && req.method === "POST") {
        const created = { id: randomUUID(), ...JSON.parse(text) };
        account.applications.set(created.id, created);
        return json(res, 201, { ...created, _links: { self: { href: `/v2/applications/${created.id}` } } });
      }
      if (id && !account.applications.has(id)) return json(res, 404, { title: "Not found" });
      if (id && req.method === "GET") return json(res, 200, account.applications.get(id));
      if (id && req.method === "PUT") {
        const updated = { id, ...JSON.parse(text) };
        account.applications.set(id, updated);
        return json(res, 200, updated);
      }
    }
    json(res, 404, { title: "Not found" });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  account.origin = `http://127.0.0.1:${server.address().port}`;
  account.close = () => new Promise((r) => server.close(r));
  return account;
}
