// Copy the pinned browser assets from node_modules into static/vendor (git-ignored).
import { cpSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";

const root = join(dirname(new URL(import.meta.url).pathname), "..");
const out = join(root, "static", "vendor");
const files = {
  "bootstrap/dist/css/bootstrap.min.css": "bootstrap/css/bootstrap.min.css",
  "bootstrap/dist/css/bootstrap.min.css.map": "bootstrap/css/bootstrap.min.css.map",
  // Right-to-left pages (Arabic) use Bootstrap's mirrored build instead.
  "bootstrap/dist/css/bootstrap.rtl.min.css": "bootstrap/css/bootstrap.rtl.min.css",
  "bootstrap/dist/css/bootstrap.rtl.min.css.map": "bootstrap/css/bootstrap.rtl.min.css.map",
  "bootstrap/dist/js/bootstrap.bundle.min.js": "bootstrap/js/bootstrap.bundle.min.js",
  "bootstrap/dist/js/bootstrap.bundle.min.js.map": "bootstrap/js/bootstrap.bundle.min.js.map",
  "chart.js/dist/chart.umd.min.js": "chart.js/chart.umd.min.js",
  "socket.io-client/dist/socket.io.min.js": "socket.io/socket.io.min.js",
  "socket.io-client/dist/socket.io.min.js.map": "socket.io/socket.io.min.js.map",
};
rmSync(out, { recursive: true, force: true });
for (const [from, to] of Object.entries(files)) {
  const target = join(out, to);
  mkdirSync(dirname(target), { recursive: true });
  cpSync(join(root, "node_modules", from), target);
}
console.log(`copied ${Object.keys(files).length} files into static/vendor`);
