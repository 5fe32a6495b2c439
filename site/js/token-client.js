// Fetches a Client SDK token from our own /auth, turning every failure into a
// kind the page can explain.

export class TokenError extends Error {
  constructor(kind, { status, retryAfter } = {}) {
    super(`token request failed: ${kind}`);
    this.kind = kind;
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

/** A token and call ticket; `lang` (the page's language) travels in the ticket to the answer webhook. */
export async function fetchToken(fetchImpl = globalThis.fetch.bind(globalThis), { lang } = {}) {
  let res;
  const path = lang && lang !== "en" ? `/auth?lang=${encodeURIComponent(lang)}` : "/auth";
  try {
    res = await fetchImpl(path, { cache: "no-store", credentials: "same-origin", headers: { accept: "application/json" } });
  } catch {
    throw new TokenError("network");
  }
  const status = res.status;
  if (status === 429) throw new TokenError("rate_limited", { status, retryAfter: Number(res.headers.get("retry-after")) || 60 });
  if (status === 403) throw new TokenError("refused", { status });
  if (status === 503) throw new TokenError("not_configured", { status });
  if (!res.ok) throw new TokenError("token_error", { status });
  const body = await res.json().catch(() => null);
  if (typeof body?.token !== "string" || typeof body?.expires_at !== "number") {
    throw new TokenError("token_error", { status });
  }
  return body;
}
