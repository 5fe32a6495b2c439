// The visitor's language: one JSON file per language in /i18n/ (en, es, fr,
// de; another language is one more file), chosen from the page's `?lang=`
// (the embed's data-lang), else the browser's languages, else English.
// The worker reads the same files' "speech" for what callers hear.

export const FALLBACK = "en";
let words = {};

/** Base language codes to try, in order: ["de", "en"] for `de-AT` and an English browser. */
export function candidates(requested, browserLanguages = []) {
  const codes = [requested, ...browserLanguages, FALLBACK]
    .filter(Boolean)
    .map((tag) => String(tag).toLowerCase().split(/[-_]/)[0])
    .filter((code) => /^[a-z]{2,3}$/.test(code));
  return [...new Set(codes)];
}

/**
 * The first language whose file loads: `{ lang, page }`. `base` is the
 * worker's origin when the caller is not on it (the embed, on a host page).
 */
export async function loadLanguage(codes, fetchImpl = globalThis.fetch.bind(globalThis), base = "") {
  for (const lang of codes) {
    try {
      const res = await fetchImpl(`${base}/i18n/${lang}.json`, {
        credentials: base ? "omit" : "same-origin",
        headers: { accept: "application/json" },
      });
      if (res.ok) {
        const file = await res.json();
        if (file?.page) return { lang, page: file.page };
      }
    } catch {
      // The next candidate, or English as the HTML already says it.
    }
  }
  return { lang: FALLBACK, page: {} };
}

export function useWords(page) {
  words = page ?? {};
}

/** `{name}` in `text` filled from `vars` (missing names become empty). */
export const fill = (text, vars = {}) => text.replace(/\{(\w+)\}/g, (_, name) => vars[name] ?? "");

/** A sentence by key, `{name}` filled from `vars`; the key itself when missing. */
export function t(key, vars = {}) {
  const text = words[key];
  return text === undefined ? key : fill(text, vars);
}

/** Whether a sentence exists (so the HTML's English stays when a file lacks one). */
export const has = (key) => words[key] !== undefined;

/**
 * Fills the document's marked text: `data-i18n` (text), `data-i18n-label`
 * (aria-label), `data-i18n-placeholder`; `<html lang>` follows.
 */
export function applyWords(doc, lang, vars = {}) {
  doc.documentElement.lang = lang;
  for (const node of doc.querySelectorAll("[data-i18n]")) {
    if (has(node.dataset.i18n)) node.textContent = t(node.dataset.i18n, vars);
  }
  for (const node of doc.querySelectorAll("[data-i18n-label]")) {
    if (has(node.dataset.i18nLabel)) node.setAttribute("aria-label", t(node.dataset.i18nLabel, vars));
  }
  for (const node of doc.querySelectorAll("[data-i18n-placeholder]")) {
    if (has(node.dataset.i18nPlaceholder)) node.placeholder = t(node.dataset.i18nPlaceholder, vars);
  }
  if (has("title")) doc.title = t("title", vars);
}
