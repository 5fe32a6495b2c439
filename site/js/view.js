// Renders a controller state into the page. The only module that touches the DOM of the call card.
import { buttonAction } from "./call-controller.js";
import { describe, describeLastCall } from "./messages.js";
import { formatDuration } from "./format.js";

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
  };
  let company = "our";
  let ticker = null;

  function tick(answeredAt) {
    el.timer.textContent = formatDuration(Math.max(0, Math.floor((now() - answeredAt) / 1000)));
  }

  function render(state) {
    const words = describe(state, { company });
    el.status.dataset.state = state.name;
    if (el.text.textContent !== words.status) el.text.textContent = words.status;
    if (el.detail.textContent !== words.detail) el.detail.textContent = words.detail;

    const action = buttonAction(state);
    const hangup = action === "hangup" || (state.name === "calling" && !state.callId);
    el.label.textContent = hangup ? "Hang up" : "Call now";
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
      for (const node of doc.querySelectorAll("[data-company]")) node.textContent = name;
      doc.title = `Call ${name} support`;
    },
    onPress(fn) {
      el.button.addEventListener("click", fn);
    },
    onRetry(fn) {
      el.retry.addEventListener("click", fn);
    },
  };
}
