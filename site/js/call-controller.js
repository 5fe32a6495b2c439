// The click-to-call state machine. It knows nothing about the DOM: it takes
// its collaborators (the Vonage client factory, the token fetcher, the
// microphone check, timers) as parameters, so a test can hand it stand-ins,
// and it reports every change through onChange(state).
//
// Each call has a Vonage user of its own, made by /auth when Call is
// pressed: nothing is fetched on page load. A press asks for the
// microphone, then a token (and the call's ticket), opens a session with
// it, and places the call; when the call ends the session is closed, and
// the next press starts over with a new user.
//
// States: ready → calling → ringing → in_call → ended → ready; waiting
// (between calling and ringing) when every line is busy and the caller is
// on hold in the waiting line, with their place and the estimated wait;
// voicemail when support's phones rang out (or the line is closed) and the
// caller is leaving a message; error (with a kind that says what the
// visitor can do).

export const ENDED_HOLD_MS = 4000;
/** Renew the session's token this long before it expires. */
export const REFRESH_MARGIN_S = 60;
/** A press this soon after the last one is ignored: a double click starts one call, not a call and its hang-up. */
export const CLICK_GUARD_MS = 600;
/** A phone leg that ended unanswered, with no other ringing this soon after: the call went to voicemail. */
export const VOICEMAIL_AFTER_MS = 1500;

/** How often the page asks its place in the waiting line, when the guard cannot push it. */
export const PLACE_POLL_MS = 5000;

/** Errors that pressing again will not cure: the button stays off. */
const LASTING_ERRORS = new Set(["refused", "not_configured", "sdk_missing"]);
/** Errors that name a wait (Retry-After): the page is ready again after it. */
const WAIT_ERRORS = new Set(["rate_limited", "unavailable"]);

export function createCallController({
  createClient,
  fetchToken,
  requestMicrophone,
  fetchPlace = async () => null,
  followPlace = null,
  isClosed = () => false,
  now = () => Date.now(),
  schedule = (fn, ms) => setTimeout(fn, ms),
  cancel = (id) => clearTimeout(id),
  onChange = () => {},
}) {
  let client = null;
  let state = { name: "ready" };
  let lastPress = -Infinity;
  let refreshTimer = null;
  let endedTimer = null;
  let waitTimer = null;
  let voicemailTimer = null;
  let placeTimer = null;
  /** Stops following the waiting line's pushed places. */
  let stopFollowing = null;
  /** The open session's renewal ticket (a call's own user), or null for a development user. */
  let session = null;
  /** Counts presses, so a slow step of an abandoned call changes nothing. */
  let callRun = 0;

  function set(next) {
    state = { user: state.user, lastCall: state.lastCall, ...next };
    onChange(state);
  }

  function fail(kind, details = {}) {
    closeSession();
    set({ name: "error", error: { kind, ...details } });
    if (WAIT_ERRORS.has(kind)) {
      cancel(waitTimer);
      const seconds = details.retryAfter ?? 60;
      waitTimer = schedule(() => state.name === "error" && set({ name: "ready" }), seconds * 1000);
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

  /** The call's session is over: no more renewals, and Vonage is told. */
  function closeSession() {
    cancel(refreshTimer);
    cancel(voicemailTimer);
    cancel(placeTimer);
    stopFollowing?.();
    stopFollowing = null;
    if (session === null) return;
    session = null;
    client?.deleteSession?.().catch(() => {});
  }

  function scheduleRefresh(expiresAt) {
    cancel(refreshTimer);
    const ms = Math.max(10, expiresAt - REFRESH_MARGIN_S - now() / 1000) * 1000;
    refreshTimer = schedule(refresh, ms);
  }

  /** A new token for the call's own user, ahead of its expiry: a call outlives its first token. */
  async function refresh() {
    const open = session;
    if (!open) return;
    try {
      const token = await fetchToken(open.renew ? { renew: open.renew } : {});
      if (session !== open) return;
      await client.refreshSession(token.token);
      scheduleRefresh(token.expires_at);
    } catch {
      if (session === open) refreshTimer = schedule(refresh, 10_000);
    }
  }

  function inCall() {
    return ["calling", "waiting", "ringing", "in_call", "voicemail"].includes(state.name);
  }

  const stillPlaced = (callId) => state.callId === callId && ["calling", "waiting"].includes(state.name);

  /** The call's place in the waiting line (every line busy), or none. */
  function applyPlace(callId, place) {
    if (!stillPlaced(callId)) return;
    if (place?.place) {
      set({ ...state, name: "waiting", place: place.place, waitSeconds: place.wait_seconds });
    } else if (state.name === "waiting") {
      // Out of the line: put through, a phone rings next.
      set({ ...state, name: "calling", place: null });
    }
  }

  /**
   * While the call is placed and no phone rings, follows whether it waits
   * in line: its place and the estimated wait, pushed by the call guard as
   * the line moves (`followPlace`), else asked every PLACE_POLL_MS.
   */
  function followLine(callId, user) {
    if (followPlace) {
      stopFollowing = followPlace(user, (place) => applyPlace(callId, place), () => pollPlace(callId, user));
    } else {
      pollPlace(callId, user);
    }
  }

  async function pollPlace(callId, user) {
    if (!stillPlaced(callId)) return;
    let place = null;
    try {
      place = await fetchPlace(user);
    } catch {
      // Not knowing the place changes nothing: the call goes on.
    }
    applyPlace(callId, place);
    placeTimer = schedule(() => pollPlace(callId, user), PLACE_POLL_MS);
  }

  async function placeCall() {
    const run = ++callRun;
    const abandoned = () => run !== callRun || state.name !== "calling";
    cancel(waitTimer);
    set({ name: "calling", callId: null });
    try {
      await requestMicrophone();
    } catch (e) {
      fail(microphoneProblem(e));
      return;
    }
    let token;
    try {
      // Makes the call's Vonage user, its token and its ticket.
      token = await fetchToken({});
    } catch (e) {
      fail(e?.kind ?? "token_error", { retryAfter: e?.retryAfter, status: e?.status });
      return;
    }
    let vonage;
    try {
      vonage = ensureClient();
    } catch {
      fail("sdk_missing");
      return;
    }
    try {
      await vonage.createSession(token.token);
    } catch (e) {
      fail("session", vonageError(e));
      return;
    }
    session = { renew: token.renew ?? null };
    scheduleRefresh(token.expires_at);
    if (abandoned()) {
      closeSession();
      return;
    }
    set({ ...state, user: token.user });
    let callId;
    try {
      // The answer webhook reads the ticket from the call's custom_data.
      callId = await vonage.serverCall({ ticket: token.ticket });
    } catch (e) {
      fail("call_failed", vonageError(e));
      return;
    }
    if (!abandoned() && state.callId === null) {
      // Out of hours the answer is the voicemail prompt at once.
      set({ ...state, callId, name: isClosed() ? "voicemail" : "calling" });
      if (!isClosed()) followLine(callId, token.user);
    } else {
      // The call was ended (session lost, hang-up requested) while it was being placed.
      vonage.hangup(callId).catch(() => {});
    }
  }

  function end(who, durationFrom = state.answeredAt) {
    const duration = durationFrom ? Math.round((now() - durationFrom) / 1000) : null;
    // A voicemail call that ends, by either side, has left its message.
    const endedBy = state.name === "voicemail" && who !== "connection" ? "message_left" : who;
    const lastCall = { endedBy, duration };
    closeSession();
    set({ name: "ended", endedBy, duration, lastCall });
    cancel(endedTimer);
    endedTimer = schedule(() => state.name === "ended" && set({ name: "ready" }), ENDED_HOLD_MS);
  }

  async function hangUp() {
    const callId = state.callId;
    const vonage = client;
    end("you");
    try {
      await vonage.hangup(callId);
    } catch {
      // The call is over for the visitor either way; Vonage ends it on its side.
    }
  }

  function onLegStatus(callId, status) {
    if (!inCall() || callId !== state.callId) return;
    cancel(voicemailTimer);
    if (status === "RINGING") {
      // A phone rings: the call is out of the line for good.
      stopFollowing?.();
      stopFollowing = null;
      cancel(placeTimer);
      const ringsNow = ["voicemail", "calling", "waiting"].includes(state.name);
      set({ ...state, name: ringsNow ? "ringing" : state.name, rang: true, place: null });
    } else if (status === "ANSWERED" && state.name !== "voicemail") {
      set({ ...state, name: "in_call", answeredAt: now() });
    } else if (status === "COMPLETED" && state.name === "ringing") {
      // Support's phone rang out. The next of a ring list rings at once;
      // if none does, the caller is at the voicemail prompt.
      voicemailTimer = schedule(() => state.name === "ringing" && set({ ...state, name: "voicemail" }), VOICEMAIL_AFTER_MS);
    }
  }

  function onHangup(callId, reason) {
    if (!inCall() || callId !== state.callId) return;
    end(endedBy(reason, { answered: Boolean(state.answeredAt), rang: Boolean(state.rang) }));
  }

  function onSessionError() {
    // A session lives only as long as its call.
    if (inCall()) end("connection");
    else closeSession();
  }

  return {
    start: () => set({ name: "ready" }),
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
      if (state.name === "error" && !LASTING_ERRORS.has(state.error.kind)) set({ name: "ready" });
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
    case "waiting":
    case "ringing":
    case "in_call":
    case "voicemail":
      return "hangup";
    case "error":
      return LASTING_ERRORS.has(state.error.kind) || WAIT_ERRORS.has(state.error.kind) ? null : "call";
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
