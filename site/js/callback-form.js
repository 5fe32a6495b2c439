// The callback request form: a name, a phone number in international form,
// an optional note. Checked here as the worker checks it (POST /callbacks),
// with the limits it serves in /config.json (`callback`), so most mistakes
// are caught before sending; the worker's answer decides.
import { t } from "./i18n.js";

/** "+44 7700 900123" → "+447700900123"; null when not E.164 (7–15 digits, no leading 0). */
export function normalisePhone(raw) {
  const compact = String(raw ?? "").replace(/ /g, "");
  const digits = compact.startsWith("+") ? compact.slice(1) : compact;
  return /^[1-9][0-9]{6,14}$/.test(digits) ? `+${digits}` : null;
}

/**
 * The problem with a request, by field, or null. `limits` is /config.json's
 * `callback` ({ name_max_chars, note_max_chars }); without it the lengths are
 * left to the worker.
 */
export function problems({ name, phone, note }, limits = {}) {
  const found = {};
  const longer = (text, max) => max != null && [...text].length > max;
  if (!name.trim()) found.name = "name_missing";
  else if (longer(name.trim(), limits.name_max_chars)) found.name = "name_long";
  if (!normalisePhone(phone)) found.phone = "phone_invalid";
  if (longer(note, limits.note_max_chars)) found.note = "note_long";
  return Object.keys(found).length ? found : null;
}

/** Sends a request; resolves to { ok, id } or { ok: false, kind, status }. */
export async function sendCallback(request, fetchImpl = globalThis.fetch.bind(globalThis)) {
  let res;
  try {
    res = await fetchImpl("/callbacks", {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(request),
    });
  } catch {
    return { ok: false, kind: "network" };
  }
  if (res.status === 201) return { ok: true, ...(await res.json().catch(() => ({}))) };
  const kind = res.status === 429 ? "rate_limited" : res.status === 400 ? "rejected" : "unavailable";
  return { ok: false, kind, status: res.status };
}

/**
 * Wires the form in `doc`: shows it when asked, checks it, sends it, says
 * what happened, in the visitor's language.
 */
export function createCallbackForm(doc, send = sendCallback) {
  const words = (key, vars) => t(`callback.${key}`, vars);
  let limits = {};
  /** Set by `offer`: more fields for the request, and what to do once it is taken. */
  let extra = () => ({});
  let onTaken = () => {};
  const el = {
    offer: doc.getElementById("callback-offer"),
    toggle: doc.getElementById("callback-toggle"),
    form: doc.getElementById("callback-form"),
    name: doc.getElementById("callback-name"),
    phone: doc.getElementById("callback-phone"),
    note: doc.getElementById("callback-note"),
    submit: doc.getElementById("callback-submit"),
    status: doc.getElementById("callback-status"),
  };
  const errorOf = { name: doc.getElementById("callback-name-error"), phone: doc.getElementById("callback-phone-error"), note: doc.getElementById("callback-note-error") };

  function showErrors(found) {
    for (const [field, node] of Object.entries(errorOf)) {
      const key = found?.[field];
      const max = field === "name" ? limits.name_max_chars : limits.note_max_chars;
      node.textContent = key ? words(key, { max }) : "";
      el[field].setAttribute("aria-invalid", String(Boolean(key)));
    }
  }

  function open() {
    el.form.hidden = false;
    el.toggle.setAttribute("aria-expanded", "true");
    el.name.focus();
  }

  el.toggle.addEventListener("click", () => (el.form.hidden ? open() : ((el.form.hidden = true), el.toggle.setAttribute("aria-expanded", "false"))));

  el.form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const request = { name: el.name.value, phone: el.phone.value, note: el.note.value };
    const found = problems(request, limits);
    showErrors(found);
    if (found) {
      el[Object.keys(found)[0]].focus();
      return;
    }
    el.submit.disabled = true;
    el.status.textContent = words("sending");
    const phone = normalisePhone(request.phone);
    const result = await send({ name: request.name.trim(), phone, note: request.note.trim(), ...extra() });
    el.submit.disabled = false;
    if (result.ok) {
      el.form.reset();
      el.form.hidden = true;
      el.toggle.hidden = true;
      el.status.textContent = words("taken", { phone });
      el.status.dataset.kind = "ok";
      onTaken();
    } else {
      el.status.textContent = words(result.kind);
      el.status.dataset.kind = "error";
    }
  });

  return {
    /** The worker's limits (/config.json's `callback`), also as the fields' maxlength. */
    setLimits(served) {
      limits = served ?? {};
      if (limits.name_max_chars) el.name.maxLength = limits.name_max_chars;
      if (limits.note_max_chars) el.note.maxLength = limits.note_max_chars;
    },
    /**
     * Offers the form (out of hours, after no one answered, or instead of
     * waiting in line), with why; `more` adds fields to the request
     * (`extra`) and says what follows once it is taken (`taken`).
     */
    offer(reason, more = {}) {
      extra = more.extra ?? (() => ({}));
      onTaken = more.taken ?? (() => {});
      el.offer.hidden = false;
      el.toggle.hidden = false;
      doc.getElementById("callback-reason").textContent = words(reason);
    },
    open,
  };
}
