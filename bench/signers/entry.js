// The signer benchmark worker's entry module (see src/edge/entry.js).
import * as wasm from "./index.js";

export default {
  fetch: (request, env, ctx) => wasm.fetch(request, env, ctx),
};
