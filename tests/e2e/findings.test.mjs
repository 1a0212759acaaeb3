// The Findings view in the page (issue 13 §2), driven as a SOC analyst would: load all
// 47 files of Falco's k8s audit traces together, read the findings, open them, follow them
// into Explore and an object's history, load a rule file of one's own and a broken one.
//
// Independent figures: the table below, worked out by hand from each trace's name and
// content (it agrees with the expectations of Falco's own k8saudit rule tests: each
// scenario file triggers the rule its name describes, the benign twins trigger nothing);
// the files' events and auditIDs, read here with JSON.parse; the CLI's
// `audit-lens findings --json` over the same files (the same engine, not the page).
// Screenshots: target/screenshots/findings-*.png (1440 and 1024 px, light and dark).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join, basename } from 'node:path';
import { tmpdir } from 'node:os';
import { strictPage, summaryCounts, screenshot, cli, corpusSkip, CORPUS, ROOT, forTestFile } from './harness.mjs';

/** The native CLI: a built binary of this checkout when there is one. */
function audit(args) {
  const t = process.env.CARGO_TARGET_DIR;
  const bins = [t && join(t, 'release', 'audit-lens'), join(ROOT, 'target', 'release', 'audit-lens')].filter(Boolean);
  const bin = bins.find((b) => existsSync(b));
  return bin ? execFileSync(bin, args, { encoding: 'utf8', maxBuffer: 1 << 26 }) : cli(args);
}

const DIR = join(CORPUS, 'logs', 'falco-k8s-audit-traces');
const skip = corpusSkip(DIR, 'findings e2e');
const env = forTestFile(skip);

// Scenario file → the rule that must find its event(s).
const SCENARIOS = {
  anonymous_creates_namespace_foo: 'anonymous-allowed',
  attach_cluster_admin_role: 'cluster-admin-binding',
  attach_pod: 'pod-attach',
  create_cluster_role_pod_exec: 'risky-role',
  create_cluster_role_wildcard_resources: 'wildcard-role',
  create_cluster_role_wildcard_verbs: 'wildcard-role',
  create_cluster_role_write_privileges: 'rbac-change',
  create_clusterrole: 'rbac-change',
  create_clusterrolebinding: 'rbac-change',
  create_configmap_sensitive_values: 'credential-configmap',
  create_kube_system_secret: 'kube-system-secret-write',
  create_nginx_pod_hostnetwork: 'host-namespace-pod',
  create_nginx_pod_no_secctx_1st_container_privileged_2nd_container: 'privileged-pod',
  create_nginx_pod_privileged: 'privileged-pod',
  create_nginx_pod_privileged_2nd_container: 'privileged-pod',
  create_nginx_pod_sensitive_mount: 'sensitive-hostpath',
  create_nginx_pod_sensitive_mount_2nd_container: 'sensitive-hostpath',
  create_nginx_service_nodeport: 'nodeport-service',
  create_pod_kube_public_namespace: 'kube-namespace-pod',
  create_pod_kube_system_namespace: 'kube-namespace-pod',
  create_secret: 'secret-write',
  delete_secret: 'secret-write',
  create_serviceaccount_kube_public_namespace: 'kube-namespace-serviceaccount',
  create_serviceaccount_kube_system_namespace: 'kube-namespace-serviceaccount',
  delete_cluster_role_kube_aggregator: 'system-role-change',
  modify_cluster_role_node_problem_detector: 'system-role-change',
  delete_clusterrole: 'rbac-change',
  delete_clusterrolebinding: 'rbac-change',
  exec_pod: 'pod-exec',
};
const BENIGN = [
  'create_configmap', 'create_configmap_no_sensitive_values', 'create_deployment', 'create_nginx_pod_nohostnetwork',
  'create_nginx_pod_unprivileged', 'create_nginx_pod_unsensitive_mount', 'create_nginx_service_nonodeport', 'create_service',
  'create_service_account_token_secret', 'create_serviceaccount', 'delete_configmap', 'delete_deployment', 'delete_namespace_foo',
  'delete_service', 'delete_serviceaccount', 'minikube_creates_namespace_foo', 'some-user_creates_namespace_foo',
];
// Not an event (`{"kind": 0}`): the loader rejects its one line.
const NOT_EVENTS = ['fal_01_003'];

/** Each file's events, read here (JSON lines). */
function readTraces() {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
  const events = {};
  for (const f of files) {
    events[basename(f, '.json')] = readFileSync(join(DIR, f), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
  }
  return { files: files.map((f) => join(DIR, f)), events };
}

async function open(page, width, scheme, files) {
  await page.setViewportSize({ width, height: 900 });
  await page.goto(env.server.origin + '/');
  await page.locator('.engine.ready').waitFor({ timeout: 20_000 });
  await page.getByTestId('file-input').setInputFiles(files);
  await summaryCounts(page);
  await page.getByTestId('findings-count').waitFor({ timeout: 30_000 });
}

/** The finding rows as their data attributes say. */
const rowsOf = (page) => page.$$eval('[data-testid=finding-row]', (els) => els.map((e) => ({
  id: e.dataset.id, key: e.dataset.key, severity: e.dataset.severity, requests: Number(e.dataset.requests), events: Number(e.dataset.events),
})));

/** Opens finding row `i`, shows all its events, and returns their auditIDs. */
async function auditIdsOf(page, i) {
  const row = page.getByTestId('finding-row').nth(i);
  await row.getByTestId('finding-toggle').click();
  const list = row.getByTestId('finding-events');
  await list.waitFor();
  while (await row.getByTestId('finding-more').count()) await row.getByTestId('finding-more').click();
  await row.locator('[data-testid=finding-events][data-complete=true]').waitFor({ timeout: 20_000 });
  const ids = (await list.getAttribute('data-audit-ids')).split(',').filter(Boolean);
  await row.getByTestId('finding-toggle').click(); // closes it
  await row.getByTestId('finding-detail').waitFor({ state: 'detached' });
  return ids;
}

const waitFilter = (page, f) => page.waitForFunction((f) => document.querySelector('[data-testid=result-count]')?.getAttribute('data-filter') === f, f, { timeout: 30_000 });

test('findings: Falco traces, each scenario found, the benign ones not; Explore, history, rule files', { skip }, async () => {
  const { files, events } = readTraces();
  assert.equal(files.length, 47, 'the 47 trace files');
  assert.deepEqual(Object.keys(events).sort(), [...Object.keys(SCENARIOS), ...BENIGN, ...NOT_EVENTS].sort(), 'every file is in the table');
  const cliOut = JSON.parse(audit(['findings', '--json', ...files]));

  const page = await strictPage(env.context, [env.server.origin], { colorScheme: 'light' });
  await open(page, 1440, 'light', files);
  assert.equal(Number(await page.getByTestId('load-summary').getAttribute('data-rejected')), 1, 'fal_01_003 is not an event');

  // The summary bar's count → the Findings tab; its count is the rows'.
  const count = page.getByTestId('findings-count');
  const total = Number(await count.getAttribute('data-findings'));
  await count.click();
  await page.getByTestId('findings-view').waitFor();
  await page.getByTestId('finding-row').first().waitFor();
  const rows = await rowsOf(page);
  assert.equal(rows.length, total, 'summary bar count = rows');
  assert.ok(total > 0);
  const high = rows.filter((r) => r.severity === 'critical' || r.severity === 'high').length;
  assert.equal(Number(await count.getAttribute('data-high')), high);
  // Severity chips: counts of the rows.
  for (const sev of ['critical', 'high', 'medium', 'low', 'info']) {
    const chip = page.locator(`[data-testid=findings-severity][data-severity=${sev}]`);
    assert.equal(Number(await chip.getAttribute('data-count')), rows.filter((r) => r.severity === sev).length, sev);
  }
  // A category narrows the list to its findings; again shows all.
  const cat = page.locator('[data-testid=findings-category][data-category=secret-access]');
  await cat.click();
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=finding-row]')].every((e) => e.dataset.category === 'secret-access'));
  assert.equal(await page.getByTestId('finding-row').count(), Number(await cat.getAttribute('data-count')));
  assert.deepEqual((await rowsOf(page)).map((r) => r.id).sort(), rows.filter((r) => ['secret-write', 'kube-system-secret-write'].includes(r.id)).map((r) => r.id).sort());
  await cat.click();
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=finding-row]').length === n, total);
  // The page's findings are the CLI's: ids, keys, requests, in the same order.
  assert.deepEqual(rows.map((r) => [r.id, r.key, r.requests]), cliOut.findings.map((f) => [f.id, f.key, f.requests]));
  assert.equal(await page.getByTestId('findings-errors').count(), 0, 'the built-in pack runs without errors');

  // Each finding's events (auditIDs), opened one by one.
  const found = new Map(); // rule id → Set of auditIDs
  for (let i = 0; i < rows.length; i++) {
    const ids = await auditIdsOf(page, i);
    assert.equal(ids.length, rows[i].events, `${rows[i].id}: every event listed`);
    const s = found.get(rows[i].id) ?? new Set();
    ids.forEach((x) => s.add(x));
    found.set(rows[i].id, s);
  }
  for (const [file, rule] of Object.entries(SCENARIOS)) {
    for (const e of events[file]) assert.ok(found.get(rule)?.has(e.auditID), `${file}: its event ${e.auditID} is in a ${rule} finding`);
  }
  assert.equal(events.create_configmap_sensitive_values.length, 6);
  assert.equal(rows.find((r) => r.id === 'credential-configmap')?.events, 6, 'credential-configmap: the 6 ConfigMaps');
  const inAny = new Set([...found.values()].flatMap((s) => [...s]));
  const scenarioIds = new Set(Object.keys(SCENARIOS).flatMap((f) => events[f].map((e) => e.auditID)));
  for (const file of BENIGN) {
    for (const e of events[file]) {
      if (scenarioIds.has(e.auditID)) {
        // some-user_creates_namespace_foo is anonymous_creates_namespace_foo with another
        // user name and the same auditID, stage and time: the loader keeps one event (the
        // first file's). Its own user is then in no finding.
        assert.ok(!rows.some((r) => r.key === e.user.username), `${file}: no finding for ${e.user.username}`);
        continue;
      }
      assert.ok(!inAny.has(e.auditID), `${file}: its event ${e.auditID} is in no finding`);
    }
  }

  // Rules without findings: every other rule of the pack.
  const rules = Number(await page.getByTestId('findings-summary').getAttribute('data-rules'));
  assert.equal(await page.getByTestId('quiet-rule').count(), rules - found.size);
  await page.locator('[data-testid=findings-quiet] > summary').click();
  await page.getByTestId('quiet-rule').first().waitFor();
  // token-secret-created needs secret creates at level Request (it reads the body's
  // type); the traces record their secret creates at Metadata only: it cannot fire here.
  const creates = new Map();
  for (const list of Object.values(events)) {
    for (const e of list) if (e.verb === 'create' && e.objectRef?.resource === 'secrets' && !e.objectRef.subresource) creates.set(e.auditID, e.level);
  }
  assert.ok(creates.size > 0 && [...creates.values()].every((l) => l === 'Metadata'));
  const tsc = page.locator('[data-testid=quiet-rule][data-id=token-secret-created]');
  assert.equal(await tsc.getAttribute('data-cannot-fire'), 'true');
  assert.match(await tsc.innerText(), new RegExp(`this log: 0 of ${creates.size} such requests recorded at Request or above — this rule cannot fire here`));
  await screenshot(page, 'findings-quiet-1440-light');
  await page.locator('[data-testid=findings-quiet] > summary').click();

  // Screenshots with a row open (the first, most serious), light.
  await page.getByTestId('finding-toggle').first().click();
  await page.getByTestId('finding-events').first().waitFor();
  await page.locator('[data-testid=finding-events][data-complete=true]').first().waitFor();
  await screenshot(page, 'findings-open-1440-light');
  await page.getByTestId('finding-toggle').first().click();

  // "Show events in Explore" on a finding without a threshold: Explore counts its events.
  const ri = rows.findIndex((r) => r.id === 'rbac-change');
  const rbac = page.getByTestId('finding-row').nth(ri);
  await rbac.getByTestId('finding-toggle').click();
  const filter = await rbac.getByTestId('finding-filter').innerText();
  await rbac.getByTestId('finding-explore').click();
  await waitFilter(page, filter);
  assert.equal(Number(await page.getByTestId('result-count').getAttribute('data-events')), rows[ri].events, 'Explore: the finding\'s events');
  // The timeline marks the findings of severity medium or worse.
  const marked = rows.filter((r) => ['critical', 'high', 'medium'].includes(r.severity)).length;
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid=timeline]')?.dataset.markers) === n, marked);

  // Object history of a finding's first event, and an event opened in Explore's detail.
  await page.getByTestId('tab-findings').click();
  const si = rows.findIndex((r) => r.id === 'secret-write');
  const sec = page.getByTestId('finding-row').nth(si);
  await sec.getByTestId('finding-toggle').click();
  await sec.getByTestId('finding-history').click();
  await page.locator('[data-testid=history-view][data-ready=true]').waitFor({ timeout: 20_000 });
  assert.match(await page.getByTestId('history-object').innerText(), new RegExp(`secrets/${events.create_secret[0].objectRef.name}`));
  await page.keyboard.press('Escape');
  await page.getByTestId('history-view').waitFor({ state: 'detached' });
  await page.getByTestId('tab-findings').click();
  const ev = page.getByTestId('finding-row').nth(si).getByTestId('finding-event').first();
  await ev.waitFor();
  const evRow = await ev.getAttribute('data-row');
  await ev.click();
  await page.waitForFunction((r) => document.querySelector('[data-testid=event-detail]')?.dataset.row === r, evRow);
  await page.keyboard.press('Escape');

  // Keyboard: a row's head is focusable and Enter opens it.
  await page.getByTestId('tab-findings').click();
  await page.getByTestId('finding-toggle').nth(1).focus();
  await page.keyboard.press('Enter');
  await page.getByTestId('finding-row').nth(1).getByTestId('finding-detail').waitFor();
  await page.keyboard.press('Enter');
  await page.getByTestId('finding-row').nth(1).getByTestId('finding-detail').waitFor({ state: 'detached' });

  // A rule file of one's own: ConfigMap creates, one finding per actor.
  const tmp = mkdtempSync(join(tmpdir(), 'audit-lens-rules-'));
  try {
    const good = join(tmp, 'team-rules.yaml');
    writeFileSync(good, [
      'pack: team',
      'rules:',
      '  - id: configmap-create',
      '    category: config',
      '    severity: low',
      '    title: ConfigMap created',
      '    why: Our team reviews every new ConfigMap.',
      '    match: resource:configmaps verb:create',
      '',
    ].join('\n'));
    // Independent: ConfigMap creates of the traces, per user (one event per auditID, as loaded).
    const seen = new Set();
    const byUser = new Map();
    for (const list of Object.values(events)) {
      for (const e of list) {
        if (e.objectRef?.resource !== 'configmaps' || e.verb !== 'create' || seen.has(e.auditID)) continue;
        seen.add(e.auditID);
        byUser.set(e.user.username, (byUser.get(e.user.username) ?? 0) + 1);
      }
    }
    assert.ok(byUser.size > 0);
    await page.getByTestId('rules-input').setInputFiles(good);
    await page.waitForFunction(() => document.querySelector('[data-testid=rules-user]')?.textContent.includes('team-rules.yaml'));
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid=findings-count]')?.dataset.findings) === n, total + byUser.size);
    const mine = (await rowsOf(page)).filter((r) => r.id === 'configmap-create');
    assert.deepEqual(Object.fromEntries(mine.map((r) => [r.key, r.requests])), Object.fromEntries(byUser));
    assert.equal(await page.getByTestId('findings-errors').count(), 0);
    // A broken one: an unknown severity on the rule at line 4; its errors say where.
    const bad = join(tmp, 'broken-rules.yaml');
    writeFileSync(bad, ['pack: team', 'rules:', '  # the next rule is wrong', '  - id: bad-rule', '    category: config', '    severity: urgent',
      '    title: Broken', '    match: resource:configmaps', ''].join('\n'));
    await page.getByTestId('rules-input').setInputFiles(bad);
    const errs = page.getByTestId('findings-errors');
    await errs.waitFor();
    const text = await errs.innerText();
    assert.match(text, /broken-rules\.yaml:4: rule bad-rule: .*severity/, text);
    assert.equal(await page.getByTestId('finding-row').count(), total, 'the built-in pack still runs');
    await screenshot(page, 'findings-errors-1440-light');
    // Remove: the built-in pack alone.
    await page.getByTestId('rules-input').setInputFiles(good);
    await page.getByTestId('rules-remove').waitFor();
    await page.getByTestId('rules-remove').click();
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid=findings-count]')?.dataset.findings) === n && !document.querySelector('[data-testid=rules-user]'), total);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  page.check();
  await page.close();

  // Screenshots: 1440 and 1024, light and dark, one with a row open.
  for (const [width, scheme] of [[1440, 'dark'], [1024, 'light'], [1024, 'dark']]) {
    const p = await strictPage(env.context, [env.server.origin], { colorScheme: scheme });
    await open(p, width, scheme, files);
    await p.getByTestId('findings-count').click();
    await p.getByTestId('finding-row').first().waitFor();
    await screenshot(p, `findings-${width}-${scheme}`);
    const r = p.getByTestId('finding-row').nth(1);
    await r.getByTestId('finding-toggle').click();
    await p.locator('[data-testid=finding-events][data-complete=true]').first().waitFor();
    await screenshot(p, `findings-open-${width}-${scheme}`);
    p.check();
    await p.close();
  }
});

test('findings: Clear forgets them; a log without findings says so', { skip }, async () => {
  const { files } = readTraces();
  const pick = (n) => files.find((f) => basename(f) === `${n}.json`);
  const page = await strictPage(env.context, [env.server.origin]);
  await open(page, 1280, 'light', ['anonymous_creates_namespace_foo', 'attach_pod'].map(pick));
  await page.getByTestId('findings-count').click();
  await page.getByTestId('finding-row').first().waitFor();
  const ids = (await rowsOf(page)).map((r) => r.id);
  for (const id of ['anonymous-allowed', 'pod-attach']) assert.ok(ids.includes(id), id);
  await page.getByTestId('clear').click();
  await page.getByTestId('clear-confirm').click(); // Clear asks first (issue 16 §6)
  await page.getByTestId('drop-zone').waitFor();
  // A benign log alone: no findings, said plainly, and the earlier ones are gone.
  await page.getByTestId('file-input').setInputFiles([pick('create_configmap')]);
  await page.waitForFunction(() => document.querySelector('[data-testid=findings-count]')?.dataset.findings === '0');
  await page.getByTestId('findings-count').click();
  await page.getByTestId('findings-none').waitFor();
  assert.equal(await page.getByTestId('finding-row').count(), 0);
  page.check();
  await page.close();
});
