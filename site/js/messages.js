// Every state in words: what is happening, and what the visitor can do.
import { formatDuration } from "./format.js";

const ENDED_BY = {
  you: "You hung up.",
  support: "Support hung up.",
  declined: "Support declined the call.",
  no_answer: "No one answered.",
  busy: "The line was busy.",
  failed: "The call could not be connected.",
  connection: "The connection was lost.",
};

const ERRORS = {
  network: ["You seem to be offline.", "Check your internet connection. We will reconnect as soon as it is back."],
  rate_limited: ["Too many attempts.", "Please wait a minute, then press Try again."],
  refused: ["This page is not allowed to place calls.", "Please contact us another way."],
  not_configured: ["Calling is not available right now.", "The service is not set up yet. Please try again later or contact us another way."],
  token_error: ["We could not start the calling service.", "We are retrying. If it keeps failing, please try again later."],
  sdk_missing: ["The calling component did not load.", "Reload the page. If it keeps happening, a browser extension may be blocking it."],
  session: ["We cannot reach the calling service.", "Your network or firewall may be blocking it. We are retrying; you can also try another network."],
  microphone_blocked: ["Microphone access is blocked.", "Allow the microphone for this site (the icon in the address bar), then press Call now again."],
  microphone_missing: ["No microphone found.", "Connect a headset or microphone, then press Call now again."],
  microphone_busy: ["Your microphone is in use by another app.", "Close the other app, then press Call now again."],
  unsupported: ["This browser cannot place calls.", "Use a current version of Chrome, Edge, Firefox or Safari."],
  call_failed: ["The call could not be placed.", "Please press Call now to try again."],
};

/** The page's other sentences; `{name}` is filled from `vars`. */
const WORDS = {
  call_button: "Call now",
  voicemail_button: "Leave a voicemail",
  hangup_button: "Hang up",
  closed_status: "We are closed right now.",
  closed_detail: "We open again {when} (your time). You can leave a voicemail, or ask us to call you back.",
  closed_detail_no_date: "You can leave a voicemail, or ask us to call you back.",
  hours_title: "Opening hours",
  hours_zone: "Times in {zone}.",
  offer_closed: "Leave your number and we will call you back when we are open.",
  offer_missed: "No one could take your call. Leave your number and we will call you back.",
  callback_toggle: "Ask us to call you back",
  name_missing: "Please enter your name.",
  name_long: "Please keep your name under {max} characters.",
  phone_invalid: "Enter your number with its country code, for example +44 7700 900123.",
  note_long: "Please keep the note under {max} characters.",
  callback_sending: "Sending your request…",
  callback_taken: "Thank you. We will call you back at {phone}.",
  callback_network: "You seem to be offline. Please try again when you are back online.",
  callback_rate_limited: "Too many requests. Please wait a minute, then try again.",
  callback_rejected: "We could not accept that request. Please check your name and number.",
  callback_unavailable: "Callback requests are not available right now. Please try again later.",
};

export function words(key, vars = {}) {
  return (WORDS[key] ?? key).replace(/\{(\w+)\}/g, (_, name) => vars[name] ?? "");
}

/** `{ status, detail }`: the state in words, and what the visitor can do about it. */
export function describe(state, { company = "our", closed = null } = {}) {
  if (closed && state.name === "ready") {
    return {
      status: words("closed_status"),
      detail: closed.when ? words("closed_detail", { when: closed.when }) : words("closed_detail_no_date"),
    };
  }
  switch (state.name) {
    case "connecting":
      return { status: "Connecting…", detail: "Getting the call button ready." };
    case "reconnecting":
      return { status: "Reconnecting…", detail: "The connection to the calling service dropped; restoring it." };
    case "ready":
      return { status: "Ready to call.", detail: `Press Call now to talk to ${company} support.` };
    case "calling":
      return { status: "Calling…", detail: "Placing your call. Your browser may ask to use the microphone." };
    case "ringing":
      return { status: "Ringing…", detail: "Waiting for someone to answer." };
    case "in_call":
      return { status: "In call.", detail: `You are talking to ${company} support.` };
    case "ended":
      return { status: "Call ended.", detail: ENDED_BY[state.endedBy] ?? "" };
    case "error": {
      const [status, detail] = ERRORS[state.error.kind] ?? ERRORS.token_error;
      const code = state.error.type ? ` (Vonage: ${state.error.type}${state.error.code ? `, ${state.error.code}` : ""})` : "";
      return { status, detail: detail + code };
    }
    default:
      return { status: "", detail: "" };
  }
}

export function describeLastCall(lastCall) {
  if (!lastCall) return "";
  const how = ENDED_BY[lastCall.endedBy] ?? "";
  return lastCall.duration != null ? `Last call: ${formatDuration(lastCall.duration)}. ${how}` : `Last call: ${how}`;
}

