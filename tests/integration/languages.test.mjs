// The caller's language in workerd: the page asks /auth?lang= and the call
// ticket carries it (a `lang` in the call's context is honoured too); the
// answer webhook speaks it (GREETING_<LANG>, else the language
// file's words read through the assets binding, with the talk action's
// language), and so do the ring list's hand-overs and voicemail prompts.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { startWorker, SUPPORT, OPS_TOKEN } from "../helpers/worker.mjs";
import { answerCall, ticketFrom, visitorIp } from "../helpers/calls.mjs";

async function answer(w, context, query = "") {
  const ticket = await ticketFrom(w, { ip: visitorIp(), query });
  return (await answerCall(w, { ticket, context })).ncco;
}

describe("spoken languages", () => {
  let w;
  before(async () => {
    w = await startWorker({
      vars: { DESTINATION_PHONE_NUMBER: undefined, DESTINATION_PHONE_NUMBERS: "447700900001,447700900002", COMPANY_NAME: "Globex", MAX_CONCURRENT_CALLS: "1000", MAX_CALLS_PER_CLIENT_HOUR: "1000", GREETING_DE: "Willkommen bei Globex! Einen Moment bitte." },
    });
  });
  after(() => w?.dispose());

  test("GREETING_<LANG> greets a German caller, in a German voice; the ring list keeps the language", async () => {
    const ncco = await answer(w, { lang: "de" });
    assert.deepEqual(ncco[0], { action: "talk", text: "Willkommen bei Globex! Einen Moment bitte.", language: "de-DE" });
    assert.equal(ncco[1].eventUrl[0], `${w.url}/webhooks/event?ring=0&lang=de`);
    const busy = { from: SUPPORT, to: "447700900002", uuid: randomUUID(), conversation_uuid: `CON-${randomUUID()}`, direction: "outbound", status: "busy", timestamp: new Date().toISOString() };
    const last = await (await w.fetch("/webhooks/event?ring=1&lang=de", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(busy) })).json();
    assert.deepEqual(last[0], {
      action: "talk", language: "de-DE",
      text: "Leider kann Ihren Anruf gerade niemand entgegennehmen. Bitte hinterlassen Sie nach dem Signalton eine Nachricht, wir rufen Sie zurück.",
    });
    assert.equal(last[1].action, "record");
  });

  test("the page's way: /auth?lang=de puts the language in the ticket, the call's context is just the ticket", async () => {
    const ncco = await answer(w, {}, "?lang=de");
    assert.deepEqual(ncco[0], { action: "talk", text: "Willkommen bei Globex! Einen Moment bitte.", language: "de-DE" });
    const forged = await answer(w, {}, "?lang=../../x");
    assert.equal(forged[0].language, undefined, "not a language code: English");
  });

  test("without a GREETING_<LANG>, the language file's greeting with the company's name", async () => {
    const ncco = await answer(w, { lang: "fr" });
    assert.deepEqual(ncco[0], { action: "talk", text: "Merci d'avoir appelé le support de Globex. Nous vous mettons en relation.", language: "fr-FR" });
    const es = await answer(w, { lang: "es" });
    assert.equal(es[0].language, "es-ES");
  });

  test("English, an unknown language or none: the English greeting, Vonage's default voice", async () => {
    for (const context of [{ lang: "en" }, { lang: "xx" }, {}, { lang: "../etc" }]) {
      const ncco = await answer(w, context);
      assert.deepEqual(ncco[0], { action: "talk", text: "Thank you for calling Globex support. Transferring you now." }, JSON.stringify(context));
    }
  });

  test("a malformed GREETING_<LANG> is a configuration problem named like any other", async () => {
    const bad = await startWorker({ vars: { GREETING_ES: "x".repeat(1501) } });
    try {
      const health = await (await bad.fetch("/healthz", { headers: { authorization: `Bearer ${OPS_TOKEN}` } })).json();
      assert.ok(JSON.stringify(health).includes("GREETING_ES"), JSON.stringify(health));
    } finally {
      await bad.dispose();
    }
  });
});

test("closed, in Spanish: the closed words and the next opening in the caller's language", async () => {
  const today = new Date().toISOString().slice(0, 10);
  const w = await startWorker({ vars: { OPENING_HOURS: "Mon-Sun 09:00-17:00", CLOSED_DATES: today } });
  try {
    const ncco = await answer(w, { lang: "es" });
    assert.equal(ncco[0].language, "es-ES");
    assert.match(ncco[0].text, /^Gracias por llamar a Acme\. En este momento estamos cerrados\. Volvemos a abrir el (lunes|martes|miércoles|jueves|viernes|sábado|domingo) a las 09:00\. Deje un mensaje/);
    assert.equal(ncco[1].action, "record");
  } finally {
    await w.dispose();
  }
});
