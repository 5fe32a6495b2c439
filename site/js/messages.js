// Every state in words: what is happening, and what the visitor can do.
// The words themselves are in /i18n/<lang>.json (see i18n.js).
import { formatDuration } from "./format.js";
import { t } from "./i18n.js";

const ERROR_KINDS = new Set([
  "network", "rate_limited", "refused", "not_configured", "token_error", "sdk_missing", "session",
  "microphone_blocked", "microphone_missing", "microphone_busy", "unsupported", "call_failed", "unavailable",
]);

const ended = (who) => (who ? t(`ended.${who}`) : "");

/** `{ status, detail }`: the state in words, and what the visitor can do about it. */
export function describe(state, { company = "", closed = null } = {}) {
  if (closed && state.name === "ready") {
    return {
      status: t("closed.status"),
      detail: closed.when ? t("closed.detail", { when: closed.when }) : t("closed.detail_no_date"),
    };
  }
  switch (state.name) {
    case "connecting":
    case "reconnecting":
    case "ready":
    case "calling":
    case "ringing":
    case "in_call":
    case "voicemail":
      return { status: t(`state.${state.name}`), detail: t(`state.${state.name}.detail`, { company }) };
    case "waiting": {
      const minutes = Math.max(1, Math.round((state.waitSeconds ?? 0) / 60));
      return {
        status: t("state.waiting", { place: state.place }),
        detail: t(minutes === 1 ? "state.waiting.detail_one" : "state.waiting.detail", { minutes }),
      };
    }
    case "ended":
      return { status: t("state.ended"), detail: ended(state.endedBy) };
    case "error": {
      const kind = ERROR_KINDS.has(state.error.kind) ? state.error.kind : "token_error";
      const { type, code } = state.error;
      const vonage = type ? t(code ? "error.vonage_code" : "error.vonage", { type, code }) : "";
      return { status: t(`error.${kind}`), detail: t(`error.${kind}.detail`) + vonage };
    }
    default:
      return { status: "", detail: "" };
  }
}

export function describeLastCall(lastCall) {
  if (!lastCall) return "";
  const how = ended(lastCall.endedBy);
  return lastCall.duration != null
    ? t("last_call", { duration: formatDuration(lastCall.duration), how })
    : t("last_call.no_duration", { how });
}
