#!/usr/bin/env node
// Measures the built page (dist/) in Debian's Chromium from a loopback server:
// first paint / first contentful paint, app mounted, worker ready, and the load rate of a
// generated in-page log of SIZE_MB (default 400). Not a test: prints numbers.
import { serve, launch, DIST } from '../tests/e2e/harness.mjs';

const sizeMb = Number(process.env.SIZE_MB ?? 400);
const server = await serve(DIST, ['/']);
const context = await launch();
try {
  for (let run = 0; run < 3; run++) {
    const page = await context.newPage();
    await page.goto(server.origin + '/');
    await page.locator('[data-testid=drop-zone]').waitFor();
    await page.locator('.engine.ready').waitFor();
    const t = await page.evaluate(() => {
      const p = Object.fromEntries(performance.getEntriesByType('paint').map((e) => [e.name, e.startTime]));
      const nav = performance.getEntriesByType('navigation')[0];
      return { firstPaint: p['first-paint'], fcp: p['first-contentful-paint'], domContentLoaded: nav.domContentLoadedEventEnd, load: nav.loadEventEnd, now: performance.now() };
    });
    console.log(`run ${run}: first paint ${t.firstPaint?.toFixed(0)} ms, first contentful paint ${t.fcp?.toFixed(0)} ms, DOMContentLoaded ${t.domContentLoaded.toFixed(0)} ms, app + worker ready by ${t.now.toFixed(0)} ms`);
    await page.close();
  }
  const page = await context.newPage();
  await page.goto(server.origin + '/');
  await page.locator('.engine.ready').waitFor();
  const dt = await page.evaluateHandle((sizeMb) => {
    const users = ['system:kube-controller-manager', 'system:node:node-1', 'alice@example.com', 'system:serviceaccount:kube-system:coredns'];
    let text = '';
    for (let i = 0; text.length < 8e6; i++) {
      const u = users[i % users.length];
      const ts = new Date(Date.UTC(2024, 4, 1, 10, 0, 0) + i * 37).toISOString();
      text += `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"6c1d4bb7-0b5a-4f0c-9f62-${(i % 1e12).toString(16).padStart(12, '0')}","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/ns-${i % 50}/configmaps/cm-${i % 997}","verb":"get","user":{"username":"${u}","groups":["system:authenticated"]},"sourceIPs":["10.0.${i % 7}.${i % 250}"],"userAgent":"kubectl/v1.30.0","objectRef":{"resource":"configmaps","namespace":"ns-${i % 50}","name":"cm-${i % 997}","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"${ts}","stageTimestamp":"${ts}","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":""}}\n`;
    }
    const dt = new DataTransfer();
    dt.items.add(new File(new Array(Math.ceil(sizeMb * 1e6 / text.length)).fill(text), 'generated.log'));
    return dt;
  }, sizeMb);
  const t0 = Date.now();
  for (const type of ['dragenter', 'dragover', 'drop']) await page.dispatchEvent('[data-testid=drop-zone]', type, { dataTransfer: dt });
  const s = page.getByTestId('load-summary');
  await s.waitFor({ timeout: 300_000 });
  const ms = Date.now() - t0;
  const events = Number(await s.getAttribute('data-events'));
  const bytes = await page.evaluate(() => document.querySelector('[data-testid=file-row] td:nth-child(2)').getAttribute('title'));
  console.log(`load: ${bytes}, ${events} events in ${ms} ms (drop to summary) = ${(parseInt(bytes) / 1e6 / (ms / 1000)).toFixed(0)} MB/s; summary says ${await s.innerText().then((x) => x.replace(/\s+/g, ' '))}`);
} finally {
  await context.close();
  await server.close();
}
