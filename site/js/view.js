// Renders a controller state into the page. The only module that touches the DOM of the call card.
import { buttonAction } from "./call-controller.js";
import { describe, describeLastCall } from "./messages.js";
import { t } from "./i18n.js";
import { formatDuration } from "./format.js";

/** Endings after which the visitor is offered a callback. */
const MISSED = new Set(["no_answer", "busy", "declined", "failed"]);

export function createView(doc = document, { now = () => Date.now() } = {}) {
  const el = {
    status: doc.querySelector(".status"),
    text: doc.getElementById("status-text"),
    detail: doc.getElementById("status-detail"),
    timer: doc.getElementById("timer"),
    button: doc.getElementById("call-button"),
    label: doc.querySelector(".call-button-label"),
    retry: doc.getElementById("retry-button"),
    lastCall: doc.getElementById("last-call"),
    hours: doc.getElementById("hours"),
    hoursList: doc.getElementById("hours-list"),
    hoursZone: doc.getElementById("hours-zone"),
  };
  let company = "";
  let ticker = null;
  /** Out of hours: `{ when }` (the next opening in the visitor's words). */
  let closed = null;
  let onMissed = () => {};
  let lastState = null;

  function tick(answeredAt) {
    el.timer.textContent = formatDuration(Math.max(0, Math.floor((now() - answeredAt) / 1000)));
  }

  function render(state) {
    lastState = state;
    const said = describe(state, { company, closed });
    el.status.dataset.state = state.name;
    el.status.dataset.closed = String(Boolean(closed));
    if (el.text.textContent !== said.status) el.text.textContent = said.status;
    if (el.detail.textContent !== said.detail) el.detail.textContent = said.detail;
    if (state.name === "ended" && MISSED.has(state.endedBy)) onMissed();

    const action = buttonAction(state);
    const hangup = action === "hangup" || (state.name === "calling" && !state.callId);
    el.label.textContent = t(hangup ? "button.hangup" : closed ? "button.voicemail" : "button.call");
    el.button.dataset.action = hangup ? "hangup" : "call";
    const hadFocus = doc.activeElement === el.button || doc.activeElement === el.retry;
    // While a call is being placed the button only waits for its call id:
    // aria-disabled keeps keyboard focus on it, where `disabled` would drop it.
    const waiting = state.name === "calling" && !state.callId;
    el.button.disabled = action === null && !waiting;
    el.button.setAttribute("aria-disabled", String(action === null));

    const canRetry = state.name === "error" && action === null;
    el.retry.hidden = !canRetry;
    // Keep keyboard users where they were: a disabled button drops focus.
    if (hadFocus && canRetry) el.retry.focus();
    else if (hadFocus && !el.button.disabled) el.button.focus();

    clearInterval(ticker);
    el.timer.hidden = state.name !== "in_call";
    if (state.name === "in_call") {
      tick(state.answeredAt);
      ticker = setInterval(() => tick(state.answeredAt), 1000);
    }

    const last = describeLastCall(state.lastCall);
    el.lastCall.hidden = !last || state.name === "ended";
    el.lastCall.textContent = last;
  }

  return {
    render,
    setCompany(name) {
      company = name;
      if (lastState) render(lastState);
    },
    /** Out of hours (or open again with `null`): the button leaves a voicemail. */
    setClosed(info, { lines = [], zone = null } = {}) {
      closed = info;
      el.hours.hidden = lines.length === 0;
      el.hoursList.replaceChildren(
        ...lines.map(({ days, times }) => {
          const row = doc.createElement("li");
          const d = doc.createElement("span");
          d.textContent = days;
          const t = doc.createElement("span");
          t.textContent = times;
          row.append(d, t);
          return row;
        }),
      );
      el.hoursZone.textContent = zone ? t("hours.zone", { zone }) : "";
      if (lastState) render(lastState);
    },
    /** Called when a call ends with no one answering. */
    onMissed(fn) {
      onMissed = fn;
    },
    onPress(fn) {
      el.button.addEventListener("click", fn);
    },
    onRetry(fn) {
      el.retry.addEventListener("click", fn);
    },
  };
}
