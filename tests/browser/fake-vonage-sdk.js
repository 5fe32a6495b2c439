// A stand-in for @vonage/client-sdk's UMD file, served instead of it in the
// browser tests. It exposes the same global (vonageClientSDK.VonageClient)
// and lets the test drive it through window.__fake.
(() => {
  const behaviour = window.__fakeBehaviour ?? {};
  const fake = {
    clients: [],
    log: [],
    calls: 0,
    behaviour,
    emit(event, ...args) {
      const client = fake.clients.at(-1);
      for (const cb of client.handlers[event] ?? []) cb(...args);
    },
  };
  window.__fake = fake;

  const vonageError = (type, code) => Object.assign(new Error(`${type}: ${code}`), { type, code });

  class VonageClient {
    constructor(config) {
      this.handlers = {};
      fake.log.push(["constructor", config ?? null]);
      fake.clients.push(this);
    }
    on(event, callback) {
      (this.handlers[event] ??= []).push(callback);
      return Symbol(event);
    }
    async createSession(token) {
      fake.log.push(["createSession", token]);
      const failures = fake.behaviour.createSessionFailures ?? 0;
      const attempts = fake.log.filter(([name]) => name === "createSession").length;
      if (attempts <= failures) throw vonageError("SESSION_ERROR", "session:error:timeout");
      return `session-${attempts}`;
    }
    async refreshSession(token) {
      fake.log.push(["refreshSession", token]);
    }
    async deleteSession() {
      fake.log.push(["deleteSession"]);
    }
    async serverCall(context) {
      fake.log.push(["serverCall", context]);
      if (fake.behaviour.serverCallError) throw vonageError("CS_ERROR", fake.behaviour.serverCallError);
      fake.calls += 1;
      return `call-${fake.calls}`;
    }
    async hangup(callId) {
      fake.log.push(["hangup", callId]);
    }
  }

  window.vonageClientSDK = { VonageClient };
})();
