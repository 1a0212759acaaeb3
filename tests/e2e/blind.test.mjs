// "What this policy blinds" in the Policy tab (issue 13 §5): the probe policy
// (service accounts dropped, secret reads dropped, the rest at Metadata) typed into the
// editor over the generated sample, then edited as a user would.
//
// Independent figures: the verdicts are worked out by hand from the probe's three rules
// (rule 0 `level: None, userGroups: [system:serviceaccounts]` blinds every rule for
// service accounts; rule 1 drops `get/list/watch secrets` for everyone; rule 2 records the
// rest at Metadata, without the request bodies the pod-spec rules read), and the events
// the policy would drop are counted here from the sample's JSON: a finding's event is
// dropped when its user is in system:serviceaccounts, it reads secrets, or its stage is
// RequestReceived (omitStages).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { strictPage, summaryCounts, screenshot, cli, forTestFile, SHOTS } from './harness.mjs';

const env = forTestFile(false);

const PROBE = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: None
    userGroups: ["system:serviceaccounts"]
  - level: None
    resources: [{group: "", resources: ["secrets"]}]
    verbs: [get, list, watch]
  - level: Metadata
`;
const ALL = ['humans', 'service accounts', 'nodes', 'system components', 'anonymous'].join(',');

const settled = (page) => page.locator('[data-testid=policy-workbench][data-busy=false]').waitFor({ timeout: 30_000 });
const blindRows = (page) => page.getByTestId('blind-row').evaluateAll((els) => Object.fromEntries(els.map((e) => [e.dataset.id, {
  kinds: e.dataset.kinds, dropped: Number(e.dataset.dropped), stripped: Number(e.dataset.stripped),
}])));

test('what the probe policy blinds, and what an edit gives back', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'audit-lens-blind-'));
  try {
    const sample = join(tmp, 'sample.log');
    cli(['generate', '--sample', '-o', sample]);
    const page = await strictPage(env.context, [env.server.origin]);
    await page.goto(env.server.origin + '/');
    await page.locator('.engine.ready').waitFor({ timeout: 20_000 });
    await page.getByTestId('load-sample').click();
    await summaryCounts(page);
    // The findings of the sample have run (the blind counts rest on them).
    await page.locator('[data-testid=findings-count]').waitFor({ timeout: 30_000 });
    await page.getByTestId('tab-policy').click();
    await page.getByTestId('policy-editor').fill(PROBE);
    await settled(page);
    await page.getByTestId('blind').waitFor();
    let rows = await blindRows(page);
    assert.equal(rows['secret-access']?.kinds, ALL, 'secret reads are dropped for everyone (rule 1)');
    assert.equal(rows['pod-exec']?.kinds, 'service accounts', 'exec is kept at Metadata except for service accounts (rule 0)');
    assert.equal(rows['privileged-pod']?.kinds, ALL, 'pod specs need the request body (rule 2 is Metadata)');
    assert.ok(!rows['anonymous-allowed'] || rows['anonymous-allowed'].kinds === '', 'anonymous requests are still recorded');

    // The events the probe would drop, per rule, counted from the sample's JSON.
    const findings = JSON.parse(cli(['findings', '--json', sample]));
    const byKey = new Map();
    for (const line of readFileSync(sample, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const e = JSON.parse(line);
      byKey.set(`${e.auditID}/${e.stage}`, e);
    }
    const dropped = {};
    for (const f of findings.findings) {
      for (const ev of f.events) {
        const e = byKey.get(`${ev.auditID}/${ev.stage}`);
        assert.ok(e, `${ev.auditID} ${ev.stage} is in the sample`);
        const sa = (e.user?.groups ?? []).includes('system:serviceaccounts');
        const secretRead = e.objectRef?.resource === 'secrets' && !e.objectRef?.subresource && ['get', 'list', 'watch'].includes(e.verb);
        if (sa || secretRead || e.stage === 'RequestReceived') dropped[f.id] = (dropped[f.id] ?? 0) + 1;
      }
    }
    assert.ok(Object.keys(dropped).length > 0, 'the probe drops some of the sample\'s finding events');
    for (const [id, n] of Object.entries(dropped)) {
      assert.equal(rows[id]?.dropped, n, `${id}: events dropped`);
    }
    await page.getByTestId('blind').scrollIntoViewIfNeeded();
    await screenshot(page, 'policy-blind');
    for (const [w, scheme] of [[1440, 'light'], [1024, 'light'], [1440, 'dark'], [1024, 'dark']]) {
      await page.setViewportSize({ width: w, height: 900 });
      await page.emulateMedia({ colorScheme: scheme });
      await page.getByTestId('blind').screenshot({ path: join(SHOTS, `policy-blind-${w}-${scheme}.png`) });
    }
    await page.emulateMedia({ colorScheme: 'light' });

    // As you type: remove the secrets rule; secret reads are recorded again for all but
    // service accounts.
    await page.getByTestId('policy-editor').fill(PROBE.replace(/  - level: None\n    resources: \[\{group: "", resources: \["secrets"\]\}\]\n    verbs: \[get, list, watch\]\n/, ''));
    await settled(page);
    await page.waitForFunction(() => document.querySelector('[data-testid=blind-row][data-id=secret-access]')?.dataset.kinds === 'service accounts', null, { timeout: 15_000 });
    rows = await blindRows(page);
    assert.equal(rows['secret-access'].kinds, 'service accounts');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
