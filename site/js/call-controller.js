// The click-to-call state machine. It knows nothing about the DOM: it takes
// its collaborators (the Vonage client factory, the token fetcher, the
// microphone check, timers) as parameters, so a test can hand it stand-ins,
// and it reports every change through onChange(state).
//
// States: connecting → ready → calling → ringing → in_call → ended → ready,
// plus reconnecting (new token / new session) and error (with a kind that
// says what the visitor can do).

export const ENDED_HOLD_MS = 4000;
/** Refresh the session this long before the token expires. */
export const REFRESH_MARGIN_S = 60;
/** A press this soon after the last one is ignored: a double click starts one call, not a call and its hang-up. */
export const CLICK_GUARD_MS = 600;
/** A call ticket admits one call within two minutes of its issue; use one younger than this. */
export const TICKET_FRESH_MS = 90_000;
const RETRY_DELAYS_MS = [1000, 2000, 5000, 10000, 30000];

/** Errors whose cure is a new session rather than another click. */
const SESSION_ERRORS = new Set(["network", "rate_limited", "refused", "not_configured", "token_error", "sdk_missing", "session"]);
/** Errors that may pass by themselves: retried automatically, backing off. */
const TRANSIENT_ERRORS = new Set(["network", "session", "token_error"]);

export function createCallController({
  createClient,
  fetchToken,
  requestMicrophone,
  now = () => Date.now(),
  schedule = (fn, ms) => setTimeout(fn, ms),
  cancel = (id) => clearTimeout(id),
  onChange = () => {},
}) {
  let client = null;
  let state = { name: "connecting" };
  let lastPress = -Infinity;
  let refreshTimer = null;
  let endedTimer = null;
  let retryTimer = null;
  let failures = 0;
  let loginRun = 0;
  /** The call ticket that came with the latest token, until a call uses it. */
  let spareTicket = null;

  function set(next) {
    state = { user: state.user, lastCall: state.lastCall, ...next };
    onChange(state);
  }

  function fail(kind, details = {}) {
    set({ name: "error", error: { kind, ...details } });
    if (TRANSIENT_ERRORS.has(kind)) {
      const delay = RETRY_DELAYS_MS[Math.min(failures, RETRY_DELAYS_MS.length - 1)];
      failures += 1;
      cancel(retryTimer);
      retryTimer = schedule(() => state.name === "error" && login(), delay);
    }
  }

  function ensureClient() {
    if (client) return client;
    client = createClient();
    client.on("legStatusUpdate", (callId, _legId, status) => onLegStatus(callId, status));
    client.on("callHangup", (callId, _quality, reason) => onHangup(callId, reason));
    client.on("sessionError", () => onSessionError());
    return client;
  }

  async function login({ reconnecting = false } = {}) {
    const run = ++loginRun;
    cancel(refreshTimer);
    cancel(retryTimer);
    set({ name: reconnecting ? "reconnecting" : "connecting" });
    let token;
    try {
      token = await fetchToken();
    } catch (e) {
      if (run === loginRun) fail(e?.kind ?? "token_error", { retryAfter: e?.retryAfter, status: e?.status });
      return;
    }
    let vonage;
    try {
      vonage = ensureClient();
    } catch {
      if (run === loginRun) fail("sdk_missing");
      return;
    }
    try {
      await vonage.createSession(token.token);
    } catch (e) {
      if (run === loginRun) fail("session", vonageError(e));
      return;
    }
    if (run !== loginRun) return;
    failures = 0;
    keepTicket(token);
    scheduleRefresh(token.expires_at);
    set({ name: "ready", user: token.user });
  }

  function scheduleRefresh(expiresAt) {
    cancel(refreshTimer);
    const ms = Math.max(10, expiresAt - REFRESH_MARGIN_S - now() / 1000) * 1000;
    refreshTimer = schedule(refresh, ms);
  }

  function keepTicket(token) {
    spareTicket = token.ticket ? { ticket: token.ticket, at: now() } : null;
  }

  /**
   * A ticket for the call about to be placed: the spare one while fresh,
   * else a new token's (the session moves onto that token, so the ticket's
   * token is the session's).
   */
  async function takeTicket() {
    const spare = spareTicket;
    spareTicket = null;
    if (spare && now() - spare.at < TICKET_FRESH_MS) return spare.ticket;
    const token = await fetchToken();
    await client.refreshSession(token.token);
    scheduleRefresh(token.expires_at);
    return token.ticket;
  }

  /** A new token for the same session, ahead of its expiry; a new session if that fails. */
  async function refresh() {
    try {
      const token = await fetchToken();
      await client.refreshSession(token.token);
      keepTicket(token);
      scheduleRefresh(token.expires_at);
    } catch {
      if (!inCall()) login({ reconnecting: true });
      else refreshTimer = schedule(refresh, 10_000);
    }
  }

  function inCall() {
    return ["calling", "ringing", "in_call"].includes(state.name);
  }

  async function placeCall() {
    set({ name: "calling", callId: null });
    try {
      await requestMicrophone();
    } catch (e) {
      fail(microphoneProblem(e));
      return;
    }
    let ticket;
    try {
      ticket = await takeTicket();
    } catch (e) {
      fail(e?.kind ?? "token_error", { retryAfter: e?.retryAfter, status: e?.status });
      return;
    }
    let callId;
    try {
      // The answer webhook reads the ticket from the call's custom_data.
      callId = await client.serverCall({ ticket });
    } catch (e) {
      fail("call_failed", vonageError(e));
      return;
    }
    if (state.name === "calling" && state.callId === null) {
      set({ ...state, callId });
    } else {
      // The call was ended (session lost, hang-up requested) while it was being placed.
      client.hangup(callId).catch(() => {});
    }
  }

  function end(who, durationFrom = state.answeredAt) {
    const duration = durationFrom ? Math.round((now() - durationFrom) / 1000) : null;
    const lastCall = { endedBy: who, duration };
    set({ name: "ended", endedBy: who, duration, lastCall });
    cancel(endedTimer);
    endedTimer = schedule(() => state.name === "ended" && set({ name: "ready" }), ENDED_HOLD_MS);
  }

  async function hangUp() {
    const callId = state.callId;
    end("you");
    try {
      await client.hangup(callId);
    } catch {
      // The call is over for the visitor either way; Vonage ends it on its side.
    }
  }

  function onLegStatus(callId, status) {
    if (!inCall() || callId !== state.callId) return;
    if (status === "RINGING") set({ ...state, name: state.name === "calling" ? "ringing" : state.name, rang: true });
    else if (status === "ANSWERED") set({ ...state, name: "in_call", answeredAt: now() });
  }

  function onHangup(callId, reason) {
    if (!inCall() || callId !== state.callId) return;
    end(endedBy(reason, { answered: Boolean(state.answeredAt), rang: Boolean(state.rang) }));
  }

  function onSessionError() {
    if (inCall()) end("connection");
    cancel(endedTimer);
    // EXPIRED_TOKEN, TRANSPORT_CLOSED, PING_TIMEOUT: all cured by a new
    // token and a new session on the same client.
    login({ reconnecting: true });
  }

  return {
    start: () => login(),
    get state() {
      return state;
    },
    /** The one button: call when idle, hang up during a call. */
    press() {
      const action = buttonAction(state);
      if (!action || now() - lastPress < CLICK_GUARD_MS) return;
      lastPress = now();
      if (action === "call") placeCall();
      else if (action === "hangup") hangUp();
    },
    /** The visitor asked to try again, or the network came back. */
    retry() {
      if (state.name !== "error") return;
      if (SESSION_ERRORS.has(state.error.kind)) login();
      else set({ name: "ready" });
    },
  };
}

/**
 * Who or what ended a call, from the SDK's hangup reason and the leg
 * statuses it reported (Client SDK: callHangup reasons REMOTE_HANGUP,
 * REMOTE_REJECT, REMOTE_NO_ANSWER_TIMEOUT, LOCAL_HANGUP, MEDIA_TIMEOUT;
 * legStatusUpdate RINGING, ANSWERED, COMPLETED). Support's phone that never
 * rang and hung up at once was busy (or unreachable); one that rang and was
 * never answered was not answered.
 */
export function endedBy(reason, { answered, rang }) {
  switch (reason) {
    case "LOCAL_HANGUP":
      return "you";
    case "REMOTE_REJECT":
      return "declined";
    case "REMOTE_NO_ANSWER_TIMEOUT":
      return "no_answer";
    case "MEDIA_TIMEOUT":
      return "connection";
    default:
      if (answered) return "support";
      return rang ? "no_answer" : "busy";
  }
}

/** What the button does in a state, or null when it is disabled. */
export function buttonAction(state) {
  switch (state.name) {
    case "ready":
    case "ended":
      return "call";
    case "calling":
      return state.callId ? "hangup" : null;
    case "ringing":
    case "in_call":
      return "hangup";
    case "error":
      return SESSION_ERRORS.has(state.error.kind) ? null : "call";
    default:
      return null;
  }
}

function microphoneProblem(e) {
  switch (e?.name) {
    case "NotAllowedError":
    case "SecurityError":
      return "microphone_blocked";
    case "NotFoundError":
    case "OverconstrainedError":
      return "microphone_missing";
    case "NotReadableError":
      return "microphone_busy";
    case "NotSupportedError":
      return "unsupported";
    default:
      return "microphone_blocked";
  }
}

/** A VonageError's type and code, for words and for support. */
export function vonageError(e) {
  return {
    type: typeof e?.type === "string" ? e.type : "UNKNOWN_ERROR",
    code: typeof e?.code === "string" ? e.code : null,
  };
}
