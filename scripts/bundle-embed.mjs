// Bundles the embed (site/js/embed.js, which shares site/js/i18n.js with the
// page) into the one classic script host pages load: site/embed.js.
// Run by scripts/build.sh before every build.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildSync } from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const target = path.join(root, "site/embed.js");
const { outputFiles } = buildSync({
  entryPoints: [path.join(root, "site/js/embed.js")],
  bundle: true,
  format: "iife",
  target: "es2020",
  write: false,
  legalComments: "none",
  banner: { js: "// Built from site/js/embed.js and site/js/i18n.js by scripts/bundle-embed.mjs; edit those." },
});
const text = outputFiles[0].text;
// Only write when something changes: `wrangler dev` watches site/ and would rebuild forever.
if (!existsSync(target) || readFileSync(target, "utf8") !== text) writeFileSync(target, text);
