// Exports of events (issue 16 §3, §4). Two corpus logs loaded together (the audit2rbac
// demo and the OpenShift API sample, the latter with planted secrets and names):
// - CSV of a filter: parsed by an RFC 4180 reader written here; its records equal the
//   filter's count computed by a JSON.parse scan of the files; `file` column with both
//   files; the file name says what it holds.
// - Redacted JSON lines (names too, with a key): no planted original in the download
//   (byte-wise, also base64), one valid event per line, the counts by kind shown.
// Screenshots: target/screenshots/export-menu-*.png (1440 and 1024 px, light and dark).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strictPage, summaryCounts, screenshot, corpusSkip, forTestFile, CORPUS } from './harness.mjs';

const LOGS = join(CORPUS, 'logs');
const skip = corpusSkip(LOGS, 'export e2e');
const env = forTestFile(skip);

const USER = 'alice.planted@example.com';
const PASSWORD = 'PlantedPassw0rd!';
const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJwbGFudGVkLWUyZSJ9.c2lnbmF0dXJlLWUyZQ';
const IP = '10.66.77.88';
const NS = 'planted-namespace';
const b64 = (s) => Buffer.from(s).toString('base64');

/** RFC 4180: quoted fields with doubled quotes, CRLF records. */
function readCsv(text) {
  const rows = []; let row = []; let f = ''; let q = false; let start = true;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === '"') { if (text[i + 1] === '"') { f += '"'; i++; } else q = false; } else f += c;
    } else if (c === '"' && start) { q = true; start = false; }
    else if (c === ',') { row.push(f); f = ''; start = true; }
    else if (c === '\r' && text[i + 1] === '\n') { /* CRLF */ }
    else if (c === '\n') { row.push(f); rows.push(row); row = []; f = ''; start = true; }
    else { assert.notEqual(c, '"', 'a bare quote'); f += c; start = false; }
  }
  assert.equal(f + row.length, '0', 'the last record ends with CRLF');
  return rows;
}

let dir, files, events;
async function setup() {
  dir = await mkdtemp(join(tmpdir(), 'audit-lens-export-'));
  const demo = join(LOGS, 'audit2rbac-demo-v1.log');
  const lines = readFileSync(join(LOGS, 'openshift-clo-apiaudit-audit_in.log'), 'utf8').split('\n').filter((l) => l.trim());
  const planted = lines.map((l, i) => {
    const e = JSON.parse(l);
    if (i % 10 === 0) {
      e.user = { username: USER, groups: ['planted-group', 'system:authenticated'] };
      e.sourceIPs = [IP];
      e.annotations = { ...e.annotations, 'authorization.k8s.io/reason': `RBAC: allowed to User "${USER}"`, note: `Bearer ${JWT}` };
    }
    if (i === 5) {
      e.level = 'RequestResponse';
      e.verb = 'create';
      e.objectRef = { resource: 'secrets', namespace: NS, name: 'db', apiVersion: 'v1' };
      e.requestURI = `/api/v1/namespaces/${NS}/secrets`;
      e.requestObject = { kind: 'Secret', apiVersion: 'v1', metadata: { name: 'db', namespace: NS }, data: { password: b64(PASSWORD) } };
    }
    return JSON.stringify(e);
  });
  const p = join(dir, 'openshift-planted.log');
  writeFileSync(p, planted.join('\n') + '\n');
  files = [demo, p];
  events = files.flatMap((f) => readFileSync(f, 'utf8').split('\n').filter((l) => l.trim()).map((l) => ({ file: f, e: JSON.parse(l) })));
}

async function open(width, scheme) {
  const page = await strictPage(env.context, [env.server.origin], { colorScheme: scheme });
  await page.setViewportSize({ width, height: 900 });
  await page.goto(env.server.origin + '/');
  await page.locator('.engine.ready').waitFor({ timeout: 20_000 });
  await page.getByTestId('file-input').setInputFiles(files);
  const s = await summaryCounts(page);
  assert.equal(s.events, events.length);
  await page.getByTestId('tab-explore').click();
  await page.getByTestId('event-row').first().waitFor();
  return page;
}

async function setFilter(page, f) {
  await page.getByTestId('filter-input').fill(f);
  await page.getByTestId('filter-input').press('Enter');
  await page.waitForFunction((f) => document.querySelector('[data-testid=result-count]')?.getAttribute('data-filter') === f, f);
}

test('CSV of a filter: its rows are the filter\'s events, with their files', { skip }, async () => {
  await setup();
  try {
    const page = await open(1440, 'light');
    await setFilter(page, 'verb:get');
    const want = events.filter(({ e }) => e.verb === 'get');
    assert.ok(want.length > 50);
    assert.equal(Number(await page.getByTestId('result-count').getAttribute('data-events')), want.length);
    const dl = page.waitForEvent('download');
    await page.getByTestId('export-csv').click();
    const d = await dl;
    assert.match(d.suggestedFilename(), /^audit-lens_verb-get_\d{4}-\d\d-\d\dT\d{4}Z?-.*Z\.csv$/);
    const rows = readCsv(readFileSync(await d.path(), 'utf8'));
    const head = rows[0];
    assert.deepEqual(head.slice(0, 4), ['time', 'user', 'impersonated', 'verb']);
    const fileCol = head.indexOf('file');
    assert.ok(fileCol > 0, 'a file column with two files');
    assert.equal(rows.length - 1, want.length, 'one record per event of the filter');
    for (const r of rows.slice(1)) {
      assert.equal(r.length, head.length);
      assert.equal(r[head.indexOf('verb')], 'get');
    }
    // Per file, the counts of the independent scan.
    const per = (list, key) => list.reduce((m, x) => m.set(key(x), (m.get(key(x)) ?? 0) + 1), new Map());
    const names = new Map(files.map((f) => [f.split('/').pop(), f]));
    assert.deepEqual(
      [...per(rows.slice(1), (r) => names.get(r[fileCol]))].sort(),
      [...per(want, (x) => x.file)].sort(),
    );
    page.check();
    await page.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('redacted export: no planted original, one event per line, counts shown', { skip }, async () => {
  await setup();
  try {
    for (const [width, scheme] of [[1440, 'light'], [1440, 'dark'], [1024, 'light'], [1024, 'dark']]) {
      const page = await open(width, scheme);
      await setFilter(page, '');
      await page.getByTestId('export-redact-menu').click();
      await page.getByTestId('redact-names').check();
      await page.getByTestId('redact-key').fill('team key 2026');
      const dl = page.waitForEvent('download');
      await page.getByTestId('export-redacted').click();
      const d = await dl;
      assert.match(d.suggestedFilename(), /_redacted\.jsonl$/);
      const bytes = readFileSync(await d.path());
      for (const o of [USER, PASSWORD, JWT, IP, NS, 'planted-group']) {
        for (const form of [o, b64(o)]) assert.equal(bytes.indexOf(form), -1, `${form} is in the redacted download`);
      }
      const lines = bytes.toString('utf8').split('\n');
      assert.equal(lines.pop(), '');
      assert.equal(lines.length, events.length, 'every event');
      const out = lines.map((l) => JSON.parse(l));
      // Same verbs and codes, in the page's (time) order as a multiset.
      const shape = (l) => l.map((e) => `${e.verb}|${e.objectRef?.resource ?? ''}|${e.responseStatus?.code ?? ''}`).sort();
      assert.deepEqual(shape(out), shape(events.map((x) => x.e)));
      // The planted user is one pseudonym everywhere.
      const pseud = new Set(out.filter((e) => e.annotations?.note).map((e) => e.user.username));
      assert.equal(pseud.size, 1);
      const summary = page.getByTestId('redact-summary');
      await summary.waitFor();
      assert.match(await summary.innerText(), new RegExp(`${events.length} events redacted`));
      assert.equal(await summary.locator('tr[data-kind=secret-data] td.num').first().innerText(), '1');
      await screenshot(page, `export-menu-${width}-${scheme}`);
      page.check();
      await page.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
