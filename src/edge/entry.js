// The worker's entry module: what the runtime loads. It hands each event to
// the wasm (`./index.js` is wasm-bindgen's output for src/edge) and exports
// the call guard's Durable Object class. scripts/build.sh bundles it with
// esbuild into build/index.js, beside build/index_bg.wasm.
//
// After a trap (a Rust panic aborts), wasm-bindgen starts the wasm afresh on
// the next call (the abort handler and reset function tools/bindgen turns
// on). Objects made by the old instance are stale then: the Durable Object
// is rebuilt around a new one, and reloads its state from storage.
import * as wasm from "./index.js";

export default {
  fetch: (request, env, ctx) => wasm.fetch(request, env, ctx),
  queue: (batch, env, ctx) => wasm.queue(batch, env, ctx),
};

/** Which wasm instance is live: the wasm counts its starts (src/edge/mod.rs). */
const instance = () => globalThis.__edge_instance;

export class CallGuard {
  constructor(state, env) {
    this.args = [state, env];
    this.renew();
  }

  renew() {
    this.guard = new wasm.CallGuard(...this.args);
    this.instance = instance();
  }

  current() {
    if (this.instance !== instance()) this.renew();
    return this.guard;
  }

  fetch(request) {
    return this.current().fetch(request);
  }

  alarm() {
    return this.current().alarm();
  }
}
