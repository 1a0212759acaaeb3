// Shared e2e harness: a loopback static server for dist/, Debian's Chromium through
// playwright-core, and a strict page (fails on page errors, console errors, failed
// requests and any request that leaves the page's origin).
import { before, after } from 'node:test';
import { createServer } from 'node:http';
import { readFile, stat, mkdtemp, mkdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join, extname, resolve, dirname } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DIST = join(ROOT, 'dist');
export const CORPUS = resolve(ROOT, '..', 'shared', 'corpus');
export const SHOTS = join(ROOT, 'target', 'screenshots');

/** `false` when `path` (corpus data) exists, else the reason to skip a test — except under
 *  CI (`CI=true`), where ../shared is always beside the checkout: a missing corpus there
 *  throws, so that corpus tests can never pass without testing anything. */
export function corpusSkip(path, what) {
  if (existsSync(path)) return false;
  if (process.env.CI === 'true') throw new Error(`CI=true but ${path} is missing: ${what} cannot run`);
  console.log(`# SKIP ${what}: ${path} not found`);
  return `${path} not found (${what} skipped)`;
}

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.wasm': 'application/wasm', '.css': 'text/css', '.json': 'application/json',
  '.png': 'image/png', '.svg': 'image/svg+xml',
};

/** Serves `dir` on 127.0.0.1 (free port) at `/` and under each of `prefixes` (e.g. '/tools/audit/').
 *  Returns { origin, close(), requests } where requests lists every path asked for. */
export async function serve(dir, prefixes = ['/']) {
  const requests = [];
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    requests.push(path);
    const prefix = prefixes.find((p) => path.startsWith(p));
    if (!prefix) { res.writeHead(404).end('not found'); return; }
    if (prefix !== '/' && path === prefix.slice(0, -1)) { res.writeHead(301, { Location: prefix }).end(); return; }
    let rel = path.slice(prefix.length) || 'index.html';
    if (rel.endsWith('/')) rel += 'index.html';
    const file = resolve(dir, rel);
    if (!file.startsWith(resolve(dir))) { res.writeHead(403).end(); return; }
    try {
      if (!(await stat(file)).isFile()) throw new Error('not a file');
      const body = await readFile(file);
      res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-store' });
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return { origin, requests, close: () => new Promise((ok) => server.close(ok)) };
}

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--no-first-run', '--disable-quic', '--disable-sync',
  '--disable-dev-shm-usage',
];

/** Starts Debian's Chromium with a fresh profile. */
export async function launch() {
  const profile = await mkdtemp(join(tmpdir(), 'audit-lens-e2e-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 800 },
  });
  const close = context.close.bind(context);
  context.close = async () => { await close(); await rm(profile, { recursive: true, force: true }); };
  return context;
}

/** Opens a page that records every problem; call `check()` at the end of a test.
 *  `allowedOrigins` are the origins requests may go to (besides data: and blob:). */
export async function strictPage(context, allowedOrigins, { colorScheme = 'light' } = {}) {
  const page = await context.newPage();
  await page.emulateMedia({ colorScheme });
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  const watch = (r) => {
    const u = r.url();
    if (u.startsWith('data:') || u.startsWith('blob:')) return;
    const o = new URL(u).origin;
    if (!allowedOrigins.includes(o) && !(o === 'null' && allowedOrigins.includes('file://'))) problems.push(`request to another origin: ${u}`);
  };
  page.on('request', watch); // the page's and its dedicated worker's requests
  page.check = () => { if (problems.length) throw new Error(problems.join('\n')); };
  page.problems = problems;
  return page;
}

/** Drops files on `selector` the way a browser does: dragenter, dragover, drop with a DataTransfer.
 *  `files` are { name, text | base64, type }. */
export async function dropFiles(page, selector, files) {
  const dt = await page.evaluateHandle((files) => {
    const dt = new DataTransfer();
    for (const f of files) {
      const data = f.base64 != null ? Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0)) : f.text;
      dt.items.add(new File([data], f.name, { type: f.type ?? '' }));
    }
    return dt;
  }, files);
  for (const type of ['dragenter', 'dragover', 'drop']) await page.dispatchEvent(selector, type, { dataTransfer: dt });
}

/** Waits for the load summary and returns its exact counts. */
export async function summaryCounts(page, timeout = 60_000) {
  const s = page.getByTestId('load-summary');
  await s.waitFor({ timeout });
  return { events: Number(await s.getAttribute('data-events')), rejected: Number(await s.getAttribute('data-rejected')), files: Number(await s.getAttribute('data-files')) };
}

/** Runs the native CLI (target/release/audit-lens, else through `cargo run --release`). */
export function cli(args) {
  const bin = join(ROOT, 'target', 'release', 'audit-lens');
  return existsSync(bin)
    ? execFileSync(bin, args, { encoding: 'utf8', maxBuffer: 1 << 26 })
    : execFileSync('cargo', ['run', '--release', '--quiet', '--bin', 'audit-lens', '--', ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26 });
}

/** The engine's native counts for a file: `audit-lens stats --json FILE`. */
export function nativeStats(file) {
  return JSON.parse(cli(['stats', '--json', file]));
}

/** The native counts of the page's sample (`audit-lens generate --sample`). */
export async function nativeSampleStats() {
  const dir = await mkdtemp(join(tmpdir(), 'audit-lens-sample-'));
  try {
    const file = join(dir, 'sample-audit.log');
    cli(['generate', '--sample', '-o', file]);
    return nativeStats(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function screenshot(page, name) {
  await mkdir(SHOTS, { recursive: true });
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** The loopback server on dist/ and the browser of one test file: registers node:test's
 *  `before`/`after` (doing nothing when `skip`) and returns `{ server, context }`, filled
 *  in before the first test runs. */
export function forTestFile(skip) {
  const env = {};
  before(async () => {
    if (skip) return;
    if (!existsSync(join(DIST, 'index.html'))) throw new Error('dist/ is missing: run `trunk build --release` first');
    env.server = await serve(DIST, ['/']);
    env.context = await launch();
  });
  after(async () => {
    await env.context?.close();
    await env.server?.close();
  });
  return env;
}
