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

/**
 * The call guard, around its wasm instance. Besides passing requests on, it
 * pushes the waiting line to whoever follows it (Server-Sent Events): a
 * caller's page its place (`/watch?user=<name>`, the body of the guard's
 * `place` answer), ops the whole line (`/watch?ops=1`, its `view`). After
 * every request and alarm, each follower whose data changed gets an event;
 * a follower that went away is dropped on the next write. Only transport
 * here: what the place or the line is, the wasm says.
 */
export class CallGuard {
  constructor(state, env) {
    this.args = [state, env];
    /** What each follower is sent: the guard's question → { writers, last }. */
    this.followers = new Map();
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

  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/watch") return this.follow(url.searchParams);
    const response = await this.current().fetch(request);
    await this.push();
    return response;
  }

  async alarm() {
    await this.current().alarm();
    await this.push();
  }

  /** The guard's answer to one of its own questions (`place?user=…`, `view`). */
  async ask(question) {
    const response = await this.current().fetch(new Request(`https://guard/${question}`));
    return response.text();
  }

  async follow(params) {
    const user = params.get("user");
    const question = user ? `place?${new URLSearchParams({ user })}` : "view";
    const { readable, writable } = new TransformStream();
    const writer = writable.getWriter();
    let follower = this.followers.get(question);
    if (!follower) this.followers.set(question, (follower = { writers: new Set(), last: null }));
    follower.writers.add(writer);
    // The follower went away (its stream cancelled): forget it at once.
    writer.closed.catch(() => this.drop(question, writer));
    // The first event now (the stream's headers go out with it), then changes.
    follower.last = await this.ask(question);
    this.send(question, writer, follower.last);
    return new Response(readable, {
      headers: { "content-type": "text/event-stream", "cache-control": "no-store" },
    });
  }

  send(question, writer, data) {
    writer.write(new TextEncoder().encode(`data: ${data}\n\n`)).catch(() => this.drop(question, writer));
  }

  drop(question, writer) {
    const follower = this.followers.get(question);
    follower?.writers.delete(writer);
    if (follower && follower.writers.size === 0) this.followers.delete(question);
  }

  async push() {
    for (const [question, follower] of this.followers) {
      const data = await this.ask(question);
      if (data === follower.last) continue;
      follower.last = data;
      for (const writer of follower.writers) this.send(question, writer, data);
    }
  }
}
