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

/**
 * A token and call ticket, for a Vonage user /auth makes for this call;
 * `lang` (the page's language) and `caller` (what the agent is told: the
 * page, and with the pre-call form a name and a reason) travel in the
 * ticket to the answer webhook. With `renew` (the call's renewal ticket):
 * a new token for the same user.
 */
export async function fetchToken(fetchImpl = globalThis.fetch.bind(globalThis), { lang, renew, caller = {} } = {}) {
  let res;
  const query = new URLSearchParams();
  if (!renew) {
    if (lang && lang !== "en") query.set("lang", lang);
    for (const [key, value] of Object.entries(caller)) if (value) query.set(key, value);
  }
  const path = query.toString() ? `/auth?${query}` : "/auth";
  const headers = { accept: "application/json" };
  if (renew) headers.authorization = `Bearer ${renew}`;
  try {
    res = await fetchImpl(path, { cache: "no-store", credentials: "same-origin", headers });
  } catch {
    throw new TokenError("network");
  }
  const status = res.status;
  const retryAfter = Number(res.headers.get("retry-after")) || undefined;
  const code = status >= 400 ? (await res.json().catch(() => null))?.error?.code : undefined;
  if (status === 429) throw new TokenError("rate_limited", { status, retryAfter: retryAfter ?? 60 });
  if (status === 403) throw new TokenError("refused", { status });
  // Vonage's Users API or our call guard could not be reached: a wait cures it.
  if (status === 503 && code !== "not_configured") throw new TokenError("unavailable", { status, retryAfter: retryAfter ?? 5 });
  if (status === 503) throw new TokenError("not_configured", { status });
  if (!res.ok) throw new TokenError("token_error", { status });
  const body = await res.json().catch(() => null);
  if (typeof body?.token !== "string" || typeof body?.expires_at !== "number") {
    throw new TokenError("token_error", { status });
  }
  return body;
}
