// Keyboard (issue "Trust" §3, review §6): Enter and the arrow keys belong to the focused
// control, not to the page-wide shortcuts (a swallowed Enter never clicked the button);
// one-character shortcuts can be turned off in the `?` list (WCAG 2.1.4) and the choice is
// remembered; the list names every key.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { serve, launch, strictPage, summaryCounts, screenshot, DIST } from './harness.mjs';

let server, context;
before(async () => {
  assert.ok(existsSync(join(DIST, 'index.html')), 'dist/ is missing: run `trunk build --release` first');
  server = await serve(DIST, ['/']);
  context = await launch();
});
after(async () => {
  await context?.close();
  await server?.close();
});

test('Enter activates a focused button; single-key shortcuts can be turned off', async () => {
  const page = await strictPage(context, [server.origin]);
  await page.goto(server.origin + '/');
  await page.locator('.engine.ready').waitFor({ timeout: 20_000 });
  await page.getByTestId('load-sample').click();
  await summaryCounts(page);
  await page.getByTestId('tab-explore').click();
  await page.getByTestId('event-row').first().waitFor();

  // Enter on the focused "Fields" button opens the filter help (it did nothing before).
  await page.getByTestId('filter-help-button').focus();
  await page.keyboard.press('Enter');
  await page.getByTestId('filter-help').waitFor({ timeout: 3000 });
  await page.getByTestId('filter-help-button').press('Enter');
  await page.getByTestId('filter-help').waitFor({ state: 'detached', timeout: 3000 });

  // Arrow keys on the focused table move the selection; Enter opens it.
  await page.getByTestId('event-row').first().locator('.time').click();
  await page.keyboard.press('Escape');
  await page.getByTestId('event-table').focus();
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.locator('[data-testid=event-row].selected').getAttribute('data-index'), '1');
  await page.keyboard.press('Enter');
  await page.getByTestId('event-detail').waitFor();
  await page.keyboard.press('Escape');

  // `?` lists every key, and offers the switch.
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('?');
  const help = page.getByTestId('help');
  await help.waitFor();
  const text = await help.innerText();
  for (const k of ['?', '/', 'o', 'p', 's', '1 / 2', 'j / k', '↓ / ↑', 'Enter', 'Esc', 'Tab']) {
    assert.ok(text.includes(k), `the help lists ${k}`);
  }
  await screenshot(page, 'keys-help');
  await page.getByTestId('single-key-shortcuts').uncheck();
  await page.keyboard.press('Escape');
  await help.waitFor({ state: 'detached' });
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('2');
  await page.keyboard.press('?');
  await page.waitForTimeout(300);
  assert.equal(await page.getByTestId('tab-explore').getAttribute('aria-selected'), 'true', '"2" does nothing when off');
  assert.equal(await help.count(), 0, '"?" does nothing when off');

  // Remembered across a reload.
  await page.reload();
  await page.locator('.engine.ready').waitFor({ timeout: 20_000 });
  await page.getByTestId('load-sample').click();
  await summaryCounts(page);
  await page.getByTestId('tab-explore').click();
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('2');
  await page.waitForTimeout(300);
  assert.equal(await page.getByTestId('tab-explore').getAttribute('aria-selected'), 'true', 'still off after a reload');
  // Turn them back on (the profile is shared with other tests).
  await page.getByRole('button', { name: 'Keyboard shortcuts' }).click();
  await help.waitFor();
  await page.getByTestId('single-key-shortcuts').check();
  await page.keyboard.press('Escape');
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('2');
  await page.waitForFunction(() => document.querySelector('[data-testid=tab-policy]')?.getAttribute('aria-selected') === 'true');
  page.check();
  await page.close();
});
