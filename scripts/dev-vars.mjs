// Writes .dev.vars with working local defaults when it does not exist:
// a fresh RSA-2048 key (PKCS#8 PEM, as Vonage issues them), a placeholder
// application id and phone numbers, a random ops token and a random webhook
// signature secret (so local development runs the signed, production path).
// It never overwrites an existing file.
import { existsSync, writeFileSync } from "node:fs";
import { generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";

const path = process.argv[2] ?? ".dev.vars";
if (existsSync(path)) {
  process.exit(0);
}

const { privateKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});
const escaped = privateKey.trim().replaceAll("\n", "\\n");
const opsToken = randomBytes(24).toString("hex");

writeFileSync(
  path,
  `# Generated for local development by scripts/dev-vars.mjs on ${new Date().toISOString()}.
# Placeholders: calls will not reach a phone until these are real values.
# Every variable is explained in .dev.vars.example.
VONAGE_APPLICATION_ID="${randomUUID()}"
VONAGE_PRIVATE_KEY="${escaped}"
SUPPORT_PHONE_NUMBER="447700900000"
# The ring list: tried in order, then voicemail.
DESTINATION_PHONE_NUMBERS="447700900001,447700900002"
OPS_TOKEN="${opsToken}"
# Webhooks are signed locally too, as in production: the simulator
# (make simulate) signs with this secret, as Vonage signs with yours.
VONAGE_SIGNATURE_SECRET="${randomBytes(24).toString("hex")}"
# Where the worker reaches Vonage's REST APIs: here the simulator, which
# stands in for the Users API (a user per call) and the media API
# (make simulate, or make simulate ARGS=--serve to keep serving them for
# the page). In production it is Vonage's own (the default).
VONAGE_API_URL="http://127.0.0.1:8788"
`,
  { mode: 0o600 },
);
console.log(`Created ${path} with a fresh dev key pair, placeholder numbers, a random OPS_TOKEN and a webhook signature secret.`);
console.log(`The ops page is at /ops.html; the token is the OPS_TOKEN line of ${path}.`);
