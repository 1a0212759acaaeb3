// A readable event (issue 12 §3, §4): the summary line above the JSON, the decision and
// its reason told apart (RBAC versus admission), the security facts, the real identity
// ("system:admin → bob"), the reason column and the column picker, driven in the page
// on real corpus logs: a Falco privileged pod create and cluster-admin binding, the
// OpenShift log (an exec with a URL-encoded command; pod creates RBAC allowed and
// admission refused, with PodSecurity annotations), and the audit2rbac log (37 of its
// 757 events impersonate bob). Expectations are computed here from the files with
// JSON.parse and URLSearchParams, independently of the engine.
// Screenshots: target/screenshots/readable-*.png (1440 and 1024 px, light and dark).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serve, launch, strictPage, summaryCounts, screenshot, corpusSkip, DIST, CORPUS, forTestFile } from './harness.mjs';

const LOGS = join(CORPUS, 'logs');
const FALCO = join(LOGS, 'falco-k8s-audit-traces');
const skip = corpusSkip(FALCO, 'readable-event e2e');
const env = forTestFile(skip);

const files = () => [
  join(FALCO, 'create_nginx_pod_privileged.json'),
  join(FALCO, 'attach_cluster_admin_role.json'),
  join(FALCO, 'exec_pod.json'),
  join(LOGS, 'openshift-clo-apiaudit-audit_in.log'),
  join(LOGS, 'audit2rbac-demo-original-v1beta1.log'),
];
const lines = (f) => readFileSync(f, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));


async function filter(page, text) {
  await page.getByTestId('filter-input').fill(text);
  await page.getByTestId('filter-input').press('Enter');
  await page.waitForFunction((t) => document.querySelector('[data-testid=result-count]')?.getAttribute('data-filter') === t, text);
}

/** Opens row `i` of the table and waits for its readable header. */
async function open(page, i = 0) {
  await page.locator(`[data-testid=event-row][data-index="${i}"]`).locator('.time').click();
  await page.waitForFunction((i) => {
    const sel = document.querySelector('[data-testid=event-row].selected');
    const d = document.querySelector('[data-testid=event-detail]');
    return sel && sel.dataset.index === String(i) && d && d.dataset.row === sel.dataset.row
      && document.querySelector('[data-testid=event-summary]');
  }, i);
  return page.getByTestId('event-summary').innerText();
}

test('summary lines, decisions, facts, identity and columns', { skip }, async () => {
  const openshift = lines(join(LOGS, 'openshift-clo-apiaudit-audit_in.log'));
  const a2r = lines(join(LOGS, 'audit2rbac-demo-original-v1beta1.log'));
  const exec = openshift.find((e) => e.objectRef?.subresource === 'exec');
  // The command as URLSearchParams decodes it (every `command`, `+` a space).
  const cmd = new URL(exec.requestURI, 'http://x').searchParams.getAll('command');
  assert.deepEqual(cmd, ['sh', '-c', 'cat /var/log/kube-apiserver/audit.log | tail -n 100']);
  // 37 impersonated events: 29 as bob, 3 as alice, 5 as sa ns1/sa1 (jq on the file).
  assert.equal(a2r.filter((e) => e.impersonatedUser).length, 37);
  const impersonated = a2r.filter((e) => e.impersonatedUser?.username === 'bob');
  const refused = openshift.filter((e) => e.verb === 'create' && e.objectRef?.resource === 'pods' && e.responseStatus?.code === 403);
  assert.ok(refused.length >= 1);
  assert.equal(refused[0].annotations['authorization.k8s.io/decision'], 'allow', 'RBAC allowed the refused pod create');

  for (const [width, scheme] of [[1440, 'light'], [1024, 'dark'], [1440, 'dark'], [1024, 'light']]) {
    const page = await strictPage(env.context, [env.server.origin], { colorScheme: scheme });
    await page.setViewportSize({ width, height: 900 });
    await page.goto(env.server.origin + '/');
    await page.evaluate(() => localStorage.removeItem('audit-lens.columns'));
    await page.locator('.engine.ready').waitFor({ timeout: 20_000 });
    await page.getByTestId('file-input').setInputFiles(files());
    await summaryCounts(page);
    await page.getByTestId('tab-explore').click();
    await page.getByTestId('event-row').first().waitFor();

    // The privileged pod create (Falco): the summary says who created what, the facts
    // say privileged.
    await filter(page, 'verb:create resource:pods ns:default user:system:serviceaccount:kube-system:replicaset-controller');
    let s = await open(page);
    assert.match(s, /^sa:kube-system\/replicaset-controller .*created pods in default — 201$/);
    const facts = await page.getByTestId('fact').allInnerTexts();
    assert.ok(facts.some((f) => /privileged container/.test(f)), `facts: ${facts}`);
    assert.ok(facts.some((f) => /image nginx/.test(f)), `facts: ${facts}`);
    await screenshot(page, `readable-privileged-${width}-${scheme}`);
    await page.keyboard.press('Escape');

    // The cluster-admin binding stands out.
    await filter(page, 'name:some-reader-binding');
    await open(page);
    const ref = page.locator('[data-testid=fact][data-label=roleRef]');
    // Marked as a risk, also for screen readers.
    assert.equal(await ref.textContent(), 'Risk: roleRef ClusterRole cluster-admin');
    assert.match(await ref.getAttribute('class'), /alert/);
    await page.keyboard.press('Escape');

    // The exec: the decoded command, the pod and container, the code.
    await filter(page, `ns:${exec.objectRef.namespace} resource:pods/exec`);
    s = await open(page);
    assert.ok(s.includes(`exec \`sh -c '${cmd[2]}'\` in pod ${exec.objectRef.namespace}/${exec.objectRef.name} container ${new URL(exec.requestURI, 'http://x').searchParams.get('container')}`), s);
    assert.ok(s.endsWith(`— ${exec.responseStatus.code}`), s);
    await screenshot(page, `readable-exec-${width}-${scheme}`);
    await page.keyboard.press('Escape');

    // Impersonation: the rows say system:admin → bob; the detail says the policy matched
    // the authenticated user.
    await filter(page, 'as:bob');
    assert.equal(Number(await page.getByTestId('result-count').getAttribute('data-events')), impersonated.length);
    const users = await page.getByTestId('user-cell').allInnerTexts();
    assert.ok(users.length > 0 && users.every((u) => u === 'system:admin → bob'), users.join('|'));
    assert.match(await page.getByTestId('user-cell').first().getAttribute('aria-label'), /system:admin \(authenticated\), acting as bob \(impersonated\)/);
    s = await open(page);
    assert.match(s, /^system:admin → bob /);
    assert.match(await page.getByTestId('impersonation-note').innerText(), /policy matched system:admin, the authenticated user, not bob/);
    await page.keyboard.press('Escape');

    // RBAC allowed, admission refused: two verdicts told apart, and the reason column
    // shows the admission's message.
    await filter(page, 'ns:openshift-marketplace verb:create code:403');
    assert.equal(Number(await page.getByTestId('result-count').getAttribute('data-events')), refused.length);
    await open(page);
    assert.match(await page.getByTestId('event-summary').innerText(), / tried to create pods in openshift-marketplace — 403$/);
    const rbac = page.locator('[data-testid=verdict][data-source="RBAC authorization"]');
    assert.match(await rbac.innerText(), /allowed — RBAC: allowed by ClusterRoleBinding/);
    assert.equal(await page.getByTestId('verdict').first().getAttribute('data-denied'), 'true', 'the refusal comes first');
    const denial = page.locator('[data-testid=verdict][data-denied=true]');
    // PodSecurity enforcement refused it (its message says "violates PodSecurity").
    assert.equal(await denial.getAttribute('data-source'), 'Admission: PodSecurity');
    assert.ok((await denial.innerText()).includes(refused[0].responseStatus.message.slice(0, 40)), await denial.innerText());
    const psa = page.locator('[data-testid=verdict][data-source="Admission: PodSecurity"][data-denied=false]');
    assert.equal(await psa.count(), 2, 'enforce-policy and audit-violations annotations');
    const reasonCell = page.locator('[data-testid=event-row] [data-col=reason]').first();
    assert.equal(await reasonCell.getAttribute('title'), refused[0].responseStatus.message);
    await screenshot(page, `readable-admission-${width}-${scheme}`);

    // The column picker, by keyboard: focus, Enter opens, Space ticks "source IP"; the
    // choice is remembered across a reload.
    if (width === 1440 && scheme === 'light') {
      await page.keyboard.press('Escape');
      await page.getByTestId('column-picker').focus();
      await page.keyboard.press('Enter');
      await page.getByTestId('col-source-ip').focus();
      await page.keyboard.press('Space');
      await page.locator('.vt-head [data-col=source-ip]').waitFor();
      const ip = await page.locator('[data-testid=event-row] [data-col=source-ip]').first().innerText();
      assert.equal(ip, refused[0].sourceIPs[0]);
      assert.equal(await page.evaluate(() => localStorage.getItem('audit-lens.columns')), 'reason,source-ip');
      await page.keyboard.press('Escape');
      assert.equal(await page.locator('.col-picker-list').count(), 0, 'Escape closes the picker');
      await page.reload();
      await page.locator('.engine.ready').waitFor({ timeout: 20_000 });
      await page.getByTestId('file-input').setInputFiles(files());
      await summaryCounts(page);
      await page.getByTestId('tab-explore').click();
      await page.locator('.vt-head [data-col=source-ip]').waitFor();
      await screenshot(page, `readable-columns-${width}-${scheme}`);
    }
    page.check();
    await page.close();
  }
});
