//! The worker's wasm-bindgen step, as a workspace tool: Cargo builds it from
//! the registry at the exact version in Cargo.lock (no `cargo install`, no
//! download from GitHub), and `scripts/build.sh` runs it.
//!
//! `bindgen <input.wasm> <out dir> [--keep-names]` writes `index.js` (an ES
//! module importing `./index_bg.wasm`) and `index_bg.wasm`. The reset-state
//! function and the abort handler let the entry shim (`src/edge/shim.js`)
//! start the wasm afresh after a trap, instead of failing every later request
//! of the isolate.

use anyhow::{Context, bail};
use wasm_bindgen_cli_support::Bindgen;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (input, out_dir, keep_names) = match args.as_slice() {
        [input, out] => (input, out, false),
        [input, out, flag] if flag == "--keep-names" => (input, out, true),
        _ => bail!("usage: bindgen <input.wasm> <out dir> [--keep-names]"),
    };
    Bindgen::new()
        .input_path(input)
        .out_name("index")
        .typescript(false)
        .reset_state_function(true)
        .force_enable_abort_handler(true)
        .remove_name_section(!keep_names)
        .remove_producers_section(true)
        .module(true)?
        .generate(out_dir)
        .with_context(|| format!("wasm-bindgen on {input}"))
}
