// Copies the pinned Vonage Client SDK from node_modules into site/vendor/ under
// a versioned path, and checks that the page asks for exactly that version.
// Run by scripts/build.sh before every build.
import { readFileSync, existsSync, mkdirSync, copyFileSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const pkgDir = path.join(root, "node_modules/@vonage/client-sdk");
if (!existsSync(pkgDir)) {
  console.error("vendor-sdk: node_modules/@vonage/client-sdk is missing; run `npm ci` (make setup)");
  process.exit(1);
}
const { version } = JSON.parse(readFileSync(path.join(pkgDir, "package.json"), "utf8"));
const dirName = `vonage-client-sdk-${version}`;
const source = path.join(pkgDir, "dist/vonageClientSDK.min.js");
const vendor = path.join(root, "site/vendor");
const target = path.join(vendor, dirName, "vonageClientSDK.min.js");

const expected = `/vendor/${dirName}/vonageClientSDK.min.js`;
const html = readFileSync(path.join(root, "site/index.html"), "utf8");
if (!html.includes(`src="${expected}"`)) {
  console.error(`vendor-sdk: site/index.html must load ${expected} (the installed @vonage/client-sdk is ${version})`);
  process.exit(1);
}

// Only write when something changes: `wrangler dev` watches site/ and would rebuild forever.
const same = existsSync(target) && readFileSync(target).equals(readFileSync(source));
if (!same) {
  mkdirSync(path.dirname(target), { recursive: true });
  copyFileSync(source, target);
}
for (const entry of existsSync(vendor) ? readdirSync(vendor) : []) {
  if (entry !== dirName) rmSync(path.join(vendor, entry), { recursive: true, force: true });
}
