#!/usr/bin/env node
// Builds dist-single/audit-lens.html: the whole app in one file that opens from disk
// (file://), for admins who cannot host anything. Inputs: a release build in dist/.
//
// - the CSS goes into <style>;
// - both wasm files are base64-encoded into the one inline module script;
// - the main JS glue becomes a blob: URL loaded with import(), then init() gets the bytes;
// - the worker becomes a blob: URL made of worker.js plus wasm_bindgen() with its bytes,
//   published as window.__AUDIT_LENS_WORKER_URL (the app falls back to ./worker_loader.js);
// - the Content-Security-Policy allows exactly that: the inline script and style by hash,
//   blob: scripts and workers, wasm compilation; no network at all (connect-src 'none').
// No dependencies: node's standard library only.
import { readFileSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, process.argv[2] ?? 'dist');
const outDir = join(root, 'dist-single');
const files = readdirSync(dist);
const pick = (re, what) => {
  const f = files.find((n) => re.test(n));
  if (!f) throw new Error(`single-file: no ${what} in ${dist} (run trunk build --release first)`);
  return join(dist, f);
};
const index = readFileSync(join(dist, 'index.html'), 'utf8');
const css = readFileSync(pick(/^style-.*\.css$/, 'stylesheet'), 'utf8');
const appJs = readFileSync(pick(/^app-[^_]*\.js$/, 'app JS'), 'utf8');
const appWasm = readFileSync(pick(/^app-.*_bg\.wasm$/, 'app wasm'));
const workerJs = readFileSync(join(dist, 'worker.js'), 'utf8');
const workerWasm = readFileSync(join(dist, 'worker_bg.wasm'));

// A JS string literal that is also safe inside an HTML <script> element.
const lit = (s) => JSON.stringify(s).replace(/</g, '\\u003c');
const workerSrc = `${workerJs}\n;wasm_bindgen({ module_or_path: Uint8Array.from(atob(${lit(workerWasm.toString('base64'))}), (c) => c.charCodeAt(0)) });\n`;
const script = `
const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
const url = (src) => URL.createObjectURL(new Blob([src], { type: 'text/javascript' }));
window.__AUDIT_LENS_WORKER_URL = url(${lit(workerSrc)});
const { default: init } = await import(url(${lit(appJs)}));
await init({ module_or_path: bytes(${lit(appWasm.toString('base64'))}) });
`;
const sha = (s) => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;
const csp = [
  "default-src 'none'",
  `script-src ${sha(script)} blob: 'wasm-unsafe-eval'`,
  'worker-src blob:',
  "connect-src 'none'",
  `style-src ${sha(css)}`,
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

const title = index.match(/<title>[\s\S]*?<\/title>/)?.[0] ?? '<title>Audit Lens</title>';
const body = index.match(/<body>([\s\S]*)<\/body>/)?.[1] ?? '<div id=app></div>';
const html = `<!doctype html><html lang=en><head><meta charset=utf-8>
<meta name=viewport content="width=device-width,initial-scale=1">
<meta http-equiv=Content-Security-Policy content="${csp}">
<meta name=referrer content=no-referrer>
<meta name=color-scheme content="light dark">
${title}<link rel=icon href="data:,">
<style>${css}</style>
<script type=module>${script}</script>
</head><body>${body}</body></html>
`;
mkdirSync(outDir, { recursive: true });
const out = join(outDir, 'audit-lens.html');
writeFileSync(out, html);
console.log(`single-file: ${out} (${(html.length / 1e6).toFixed(2)} MB)`);
