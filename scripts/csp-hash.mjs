// Trunk post-build hook: puts the sha256 of each inline <script> of index.html into the
// Content-Security-Policy meta, replacing the 'sha256-CSP_SCRIPT_HASH' placeholder, so the
// policy needs no 'unsafe-inline'. Runs in TRUNK_STAGING_DIR (or on the path given).
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const file = process.argv[2] ?? join(process.env.TRUNK_STAGING_DIR ?? 'dist', 'index.html');
let html = readFileSync(file, 'utf8');
const hashes = [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)]
  .map((m) => `'sha256-${createHash('sha256').update(m[1], 'utf8').digest('base64')}'`);
if (!html.includes("'sha256-CSP_SCRIPT_HASH'")) {
  console.error(`csp-hash: no placeholder in ${file}`);
  process.exit(1);
}
html = html.replace("'sha256-CSP_SCRIPT_HASH'", hashes.join(' '));
writeFileSync(file, html);
console.log(`csp-hash: ${hashes.length} inline script(s) hashed in ${file}`);
