/**
 * The search lab's rules page in headless Chromium, against the real server: rules made from result
 * cards (hide, pin, boost brand), previewed, saved, published, seen in the search and rolled back;
 * errors the server refuses a rule with. Screenshots go to test-output/browser/rules-*.png.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, startTarget, type Target } from './browser-target';

jest.setTimeout(180_000);

/** A query of the demo's judgement sets (text-test), so that the preview has metric deltas. */
const QUERY = 'overcoat for women';
const RULE_ID = 'overcoat-for-women';
const KEY_NAME = 'lab-browser';

describe('search lab rules page in a browser', () => {
  let target: Target;
  let browser: Browser;
  let page: Page;
  let key: string;
  let hiddenId: string;
  let pinnedId: string;
  const consoleErrors: string[] = [];
  const foreignRequests: string[] = [];
  const requestUrls: string[] = [];

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    target = await startTarget();
    key = await target.createKey('merchandiser', KEY_NAME);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    page.on('request', (request) => {
      const url = request.url();
      requestUrls.push(url);
      if (!url.startsWith(target.url) && !url.startsWith('data:') && !url.startsWith('blob:')) foreignRequests.push(url);
    });
  });

  afterAll(async () => {
    await browser?.close();
    await target?.close();
  });

  const cards = () => page.locator('#results .card');
  const cardIds = () => cards().evaluateAll((list) => list.map((c) => (c as HTMLElement).dataset.productId as string));
  const ruleRow = (status: string) => page.locator(`#rules-body tr[data-rule-id="${RULE_ID}"][data-status="${status}"]`);

  /** Runs an action and returns the JSON answer of the named lab operation it sends, and the variables it sent. */
  async function andWaitFor(
    operationName: string,
    action: () => Promise<unknown>,
  ): Promise<{ data?: Record<string, unknown>; errors?: unknown[]; variables: Record<string, unknown> }> {
    const response = page.waitForResponse(
      (r) => r.url().endsWith('/graphql') && r.request().postData()?.includes(`"operationName":"${operationName}"`) === true,
    );
    await action();
    const answer = await response;
    return { ...(await answer.json()), variables: JSON.parse(answer.request().postData() as string).variables };
  }

  /** Runs an action and waits until the lab has re-rendered from a new search. */
  async function andWaitForSearch(action: () => Promise<unknown>): Promise<void> {
    await andWaitFor('LabSearch', action);
    await page.waitForFunction(() => document.getElementById('results-area')?.getAttribute('aria-busy') !== 'true');
  }

  async function searchAgain(): Promise<void> {
    await page.click('#nav-search');
    await expect(page.locator('#search-view').isVisible()).resolves.toBe(true);
    await andWaitForSearch(() => page.click('#search-button'));
    await expect(page.locator('#error').isHidden()).resolves.toBe(true);
  }

  it('asks for a key, keeps it in sessionStorage only, and reads the rule book with it', async () => {
    await page.goto(`${target.url}/lab/rules`);
    await expect(page.locator('#rules-view').isVisible()).resolves.toBe(true);
    await expect(page.locator('#search-view').isHidden()).resolves.toBe(true);
    await page.locator('#rules-error .error-code').filter({ hasText: 'UNAUTHENTICATED' }).waitFor();

    const book = await andWaitFor('LabRuleBook', async () => {
      await page.fill('#api-key', key);
      await page.press('#api-key', 'Enter');
    });
    expect(book.errors).toBeUndefined();
    await page.locator('#rules-empty').filter({ hasText: 'No rules yet' }).waitFor();
    await expect(page.locator('#rules-error').isHidden()).resolves.toBe(true);
    await expect(page.locator('#publish-summary').textContent()).resolves.toContain('Nothing published yet');
    expect(await page.evaluate(() => Object.values(sessionStorage))).toContain(key);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    expect(page.url()).toBe(`${target.url}/lab/rules`);
  });

  it('hides a product from its result card: prefilled, saved as a draft, published, gone from the search', async () => {
    await page.click('#nav-search');
    expect(page.url()).toBe(`${target.url}/lab`);
    await page.fill('#q-text', QUERY);
    await andWaitForSearch(() => page.click('#search-button'));
    await expect(page.locator('#rules-fired').isHidden()).resolves.toBe(true);
    const second = cards().nth(1);
    hiddenId = (await second.getAttribute('data-product-id')) as string;

    await second.locator('.rule-hide').click();
    await page.locator('#editor-origin').filter({ hasText: `Hide ${hiddenId}` }).waitFor();
    expect(page.url()).toBe(`${target.url}/lab/rules`);
    await expect(page.locator('#rf-id').inputValue()).resolves.toBe(RULE_ID);
    await expect(page.locator('#rf-query-is').inputValue()).resolves.toBe(QUERY);
    await expect(page.locator('#rf-hide').inputValue()).resolves.toBe(hiddenId);
    await expect(page.locator('#rf-pins .pin-row').count()).resolves.toBe(0);
    await expect(page.locator('#editor-status').textContent()).resolves.toBe('NOT SAVED');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'rules-01-hide-prefilled.png') });

    const saved = await andWaitFor('LabUpsertRule', () => page.click('#rule-save'));
    expect(saved.errors).toBeUndefined();
    await ruleRow('DRAFT').waitFor();
    await expect(ruleRow('DRAFT').locator('.rule-revision').textContent()).resolves.toBe('r1');
    await expect(ruleRow('DRAFT').locator('.rule-updated').textContent()).resolves.toContain(KEY_NAME);
    await page.locator('#rule-notice').filter({ hasText: 'revision 1' }).waitFor();
    await expect(page.locator('#editor-status').textContent()).resolves.toBe('DRAFT');

    await page.fill('#publish-note', 'hide one overcoat');
    await andWaitFor('LabPublishRules', () => page.click('#publish-button'));
    await page.locator('#rule-notice').filter({ hasText: 'Published release 1' }).waitFor();
    await ruleRow('PUBLISHED').waitFor();
    await page.locator('#releases .release[data-version="1"]').filter({ hasText: 'LIVE' }).waitFor();
    await expect(page.locator('#releases .release[data-version="1"]').textContent()).resolves.toContain('hide one overcoat');

    await searchAgain();
    expect(await cardIds()).not.toContain(hiddenId);
    await expect(page.locator('#fired-rules .fired-rule').first().getAttribute('data-rule-id')).resolves.toBe(RULE_ID);
    await expect(page.locator('#fired-rules').textContent()).resolves.toContain('hide');
  });

  it('pins the fifth result at position 1: previewed side by side with metric deltas, saved and published', async () => {
    const fifth = cards().nth(4);
    pinnedId = (await fifth.getAttribute('data-product-id')) as string;
    await fifth.locator('.rule-pin').click();
    await page.locator('#editor-origin').filter({ hasText: `Pin ${pinnedId} at position 5` }).waitFor();
    // The pin joins the saved rule of this query, which keeps its hidden product.
    await expect(page.locator('#editor-origin').textContent()).resolves.toContain(`added to the saved rule ${RULE_ID}`);
    await expect(page.locator('#rf-hide').inputValue()).resolves.toBe(hiddenId);
    const pin = page.locator('#rf-pins .pin-row');
    await expect(pin.count()).resolves.toBe(1);
    await expect(pin.locator('.pin-product').inputValue()).resolves.toBe(pinnedId);
    await expect(pin.locator('.pin-position').inputValue()).resolves.toBe('5');
    await pin.locator('.pin-position').fill('1');

    const preview = await andWaitFor('LabPreviewRule', () => page.click('#rule-preview-button'));
    expect(preview.errors).toBeUndefined();
    const query = page.locator('#preview .preview-query').first();
    await query.waitFor();
    await expect(query.getAttribute('data-text')).resolves.toBe(QUERY);
    const before = query.locator('.preview-before li');
    const after = query.locator('.preview-after li');
    expect(await before.count()).toBe(20);
    expect(await after.count()).toBe(20);
    // Before: the live rules (the hide), where the product is fifth; after: pinned first.
    await expect(before.nth(4).getAttribute('data-product-id')).resolves.toBe(pinnedId);
    await expect(after.first().getAttribute('data-product-id')).resolves.toBe(pinnedId);
    await expect(after.first().locator('.preview-badge').textContent()).resolves.toBe('↑4');
    await expect(after.first().locator('.preview-title').textContent()).resolves.not.toBe('(unknown product)');
    await page.waitForFunction(() => Array.from(document.querySelectorAll<HTMLImageElement>('#preview img')).slice(0, 6).every((img) => img.complete && img.naturalWidth > 0));
    // Metric deltas over the judged query, with interval and p-value.
    const metrics = page.locator('#preview-metrics tbody tr');
    expect(await metrics.count()).toBeGreaterThan(0);
    await expect(metrics.first().locator('td').first().textContent()).resolves.toBe('ndcg@10');
    await expect(metrics.first().locator('td').nth(1).textContent()).resolves.toBe('judgements');
    await expect(metrics.first().locator('td').nth(5).textContent()).resolves.toContain('…');
    await expect(page.locator('#preview-flag').isVisible()).resolves.toBe(true);
    await page.locator('#preview').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'rules-02-preview.png'), fullPage: true });

    const saved = await andWaitFor('LabUpsertRule', () => page.click('#rule-save'));
    expect(saved.errors).toBeUndefined();
    // Saved over the revision the pin was added to.
    expect(saved.variables.expectedRevision).toBe(1);
    await page.locator('#rule-notice').filter({ hasText: 'revision 2' }).waitFor();
    await ruleRow('MODIFIED').waitFor();
    await expect(ruleRow('MODIFIED').locator('.rule-revision').textContent()).resolves.toBe('r2');
    await expect(page.locator('#editor-live').isVisible()).resolves.toBe(true);
    await expect(page.locator('#rf-pins .pin-row .pin-position').inputValue()).resolves.toBe('1');

    await page.fill('#publish-note', 'pin a coat first');
    const published = await andWaitFor('LabPublishRules', () => page.click('#publish-button'));
    expect(published.variables).toEqual({ note: 'pin a coat first', expectedRelease: 1 });
    await page.locator('#rule-notice').filter({ hasText: 'Published release 2' }).waitFor();
    await ruleRow('PUBLISHED').waitFor();
    await page.locator('#releases .release[data-version="2"]').filter({ hasText: 'LIVE' }).waitFor();
    await page.locator('#audit-list .audit-entry[data-action="UPSERT"]').nth(1).waitFor();
    await expect(page.locator('#audit-list .audit-entry[data-action="UPSERT"]').count()).resolves.toBe(2);
    await expect(page.locator('#audit-list').textContent()).resolves.toContain(KEY_NAME);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(SCREENSHOTS, 'rules-03-published.png') });
  });

  it('the search shows the pinned product first, and its explanation names the rule', async () => {
    await searchAgain();
    const ids = await cardIds();
    expect(ids[0]).toBe(pinnedId);
    expect(ids).not.toContain(hiddenId);
    await expect(page.locator('#fired-rules .fired-rule').first().getAttribute('data-rule-id')).resolves.toBe(RULE_ID);
    const first = cards().first();
    await expect(first.locator('.rule-badge').textContent()).resolves.toBe('Pinned');
    await first.locator('.explain summary').click();
    const effects = first.locator('.explain-rules');
    await expect(effects.isVisible()).resolves.toBe(true);
    await expect(effects.locator('li').first().getAttribute('data-rule-id')).resolves.toBe(RULE_ID);
    await expect(effects.textContent()).resolves.toContain('pinned at position 1');
    await expect(effects.locator('.position-without-rules').textContent()).resolves.toMatch(/^Position without rules: \d+$/);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(SCREENSHOTS, 'rules-04-search-pinned.png') });
  });

  it('rolls back to the previous release: the pin is gone, the hidden product stays hidden', async () => {
    await andWaitFor('LabRuleBook', () => page.click('#nav-rules'));
    const release1 = page.locator('#releases .release[data-version="1"]');
    await release1.locator('.release-rollback').click();
    await release1.locator('.rollback-note').fill('the pin is not wanted');
    const rolledBack = await andWaitFor('LabRollbackRules', () => release1.locator('.rollback-go').click());
    expect(rolledBack.errors).toBeUndefined();
    await page.locator('#releases .release[data-version="3"]').filter({ hasText: 'restores release 1' }).waitFor();
    await page.locator('#rule-notice').filter({ hasText: 'restores release 1' }).waitFor();
    await ruleRow('PUBLISHED').waitFor();
    // The editor holds the rule as restored.
    await expect(page.locator('#rf-id').inputValue()).resolves.toBe(RULE_ID);
    await expect(page.locator('#rf-pins .pin-row').count()).resolves.toBe(0);
    await expect(page.locator('#rf-hide').inputValue()).resolves.toBe(hiddenId);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'rules-05-rolled-back.png') });

    await searchAgain();
    const ids = await cardIds();
    expect(ids[0]).not.toBe(pinnedId);
    expect(ids).not.toContain(hiddenId);
    await expect(page.locator('#results .card .rule-badge').count()).resolves.toBe(0);
  });

  it('boosts a brand from a result card of a search in a context, saves it and deletes the unpublished draft', async () => {
    await page.fill('#q-text', target.text);
    await page.fill('#q-context', 'sale');
    const search = await andWaitFor('LabSearch', () => page.click('#search-button'));
    expect((search.variables.input as { context?: string }).context).toBe('sale');
    await page.waitForFunction(() => document.getElementById('results-area')?.getAttribute('aria-busy') !== 'true');
    const third = cards().nth(2);
    const brand = (await third.locator('.attr').filter({ hasText: /^brand: / }).first().textContent())!.replace(/^brand: /, '');
    await third.locator('.rule-boost').click();
    await page.locator('#editor-origin').filter({ hasText: `Boost the brand ${brand}` }).waitFor();
    // A rule for the query in that context.
    await expect(page.locator('#rf-id').inputValue()).resolves.toBe('red-dress.sale');
    await expect(page.locator('#rf-query-is').inputValue()).resolves.toBe(target.text);
    await expect(page.locator('#rf-contexts').inputValue()).resolves.toBe('sale');
    await expect(page.locator('#pv-context').inputValue()).resolves.toBe('sale');
    const boost = page.locator('#rf-boosts .boost-row');
    await expect(boost.count()).resolves.toBe(1);
    await expect(boost.locator('.boost-attribute').inputValue()).resolves.toBe('brand');
    await expect(boost.locator('.boost-values').inputValue()).resolves.toBe(brand);
    await expect(boost.locator('.boost-weight').inputValue()).resolves.toBe('0.5');
    const saved = await andWaitFor('LabUpsertRule', () => page.click('#rule-save'));
    expect(saved.variables.expectedRevision).toBe(0);
    await page.locator('#rule-notice').filter({ hasText: 'Saved the draft of red-dress.sale' }).waitFor();
    await page.locator('#rules-body tr[data-rule-id="red-dress.sale"][data-status="DRAFT"]').waitFor();

    const deleted = await andWaitFor('LabDeleteRule', () => page.click('#rule-delete'));
    expect(deleted.errors).toBeUndefined();
    expect(deleted.variables).toEqual({ id: 'red-dress.sale', expectedRevision: 1 });
    await page.locator('#rule-notice').filter({ hasText: 'Deleted red-dress.sale.' }).waitFor();
    await expect(page.locator('#rules-body tr[data-rule-id="red-dress.sale"]').count()).resolves.toBe(0);
    await expect(page.locator('#editor-title').textContent()).resolves.toBe('New rule');
  });

  it('shows the code and reason of rules the server refuses, and of JSON it cannot read', async () => {
    await page.click('#rule-new');
    await page.click('#tab-json');
    await expect(page.locator('#rule-json').isVisible()).resolves.toBe(true);
    const slow = { id: 'slow-pattern', conditions: { query: { matches: '(a+)+b' } }, actions: { hide: [hiddenId] } };
    await page.fill('#rule-json', JSON.stringify(slow, null, 2));
    const refused = await andWaitFor('LabUpsertRule', () => page.click('#rule-save'));
    expect(refused.errors).toBeDefined();
    const error = page.locator('#rule-error');
    await error.locator('.error-reason').filter({ hasText: 'SLOW_PATTERN' }).waitFor();
    await expect(error.locator('.error-code').first().textContent()).resolves.toBe('BAD_USER_INPUT');
    await expect(error.locator('.error-reason').first().textContent()).resolves.toBe('SLOW_PATTERN');
    await expect(error.locator('.error-message').first().textContent()).resolves.toContain('conditions.query.matches');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'rules-06-error.png') });

    // A pin of a product the catalogue does not have, refused by the preview.
    const unknown = { id: 'pin-unknown', conditions: { query: { is: [QUERY] } }, actions: { pins: [{ productId: 'p-does-not-exist', position: 1 }] } };
    await page.fill('#rule-json', JSON.stringify(unknown));
    await andWaitFor('LabPreviewRule', () => page.click('#rule-preview-button'));
    await error.locator('.error-reason').filter({ hasText: 'UNKNOWN_PRODUCT' }).waitFor();
    await expect(page.locator('#preview').isHidden()).resolves.toBe(true);

    // JSON that does not parse keeps the JSON editor open and says why.
    await page.fill('#rule-json', '{ "id": ');
    await page.click('#tab-form');
    await expect(error.locator('.error-reason').first().textContent()).resolves.toBe('BAD_JSON');
    await expect(page.locator('#rule-json').isVisible()).resolves.toBe(true);
    await expect(page.locator('#rules-body tr[data-rule-id="slow-pattern"]').count()).resolves.toBe(0);
  });

  it('writes a rule in the form (synonyms, redirect): the search shows the rewritten text and the redirect', async () => {
    await page.click('#rule-new');
    await expect(page.locator('#rule-form').isVisible()).resolves.toBe(true);
    await page.fill('#rf-id', 'red-dress-sale');
    await page.fill('#rf-description', 'gowns too, and the sale page');
    await page.fill('#rf-query-is', target.text);
    await page.click('#rf-synonym-add');
    await page.fill('#rf-synonyms .synonym-row .synonym-terms', 'dress, gown');
    await page.check('#rf-synonyms .synonym-row .synonym-one-way');
    await page.fill('#rf-redirect-url', 'https://shop.example/sale/dresses');
    await page.check('#rf-redirect-keep');
    const saved = await andWaitFor('LabUpsertRule', () => page.click('#rule-save'));
    expect(saved.errors).toBeUndefined();
    expect(saved.variables.rule).toEqual({
      id: 'red-dress-sale',
      description: 'gowns too, and the sale page',
      enabled: true,
      conditions: { query: { is: [target.text] } },
      actions: { synonyms: [{ terms: ['dress', 'gown'], oneWay: true }], redirect: { url: 'https://shop.example/sale/dresses', keepResults: true } },
    });
    await page.locator('#rule-notice').filter({ hasText: 'Saved the draft of red-dress-sale' }).waitFor();
    await andWaitFor('LabPublishRules', () => page.click('#publish-button'));
    await page.locator('#rule-notice').filter({ hasText: 'Published release 4' }).waitFor();

    await page.click('#nav-search');
    await page.fill('#q-text', target.text);
    await page.fill('#q-context', '');
    await andWaitForSearch(() => page.click('#search-button'));
    await expect(page.locator('#fired-rules .fired-rule').first().getAttribute('data-rule-id')).resolves.toBe('red-dress-sale');
    await expect(page.locator('#rewritten-text').textContent()).resolves.toContain('gown');
    await expect(page.locator('#redirect a').getAttribute('href')).resolves.toBe('https://shop.example/sale/dresses');
    await expect(page.locator('#redirect').textContent()).resolves.toContain('results kept');
    expect(await cards().count()).toBeGreaterThan(0);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(SCREENSHOTS, 'rules-07-search-rewritten-redirect.png') });
  });

  it('loaded nothing from outside the server, sent the key in no URL and logged no errors', async () => {
    expect(foreignRequests).toEqual([]);
    expect(requestUrls.filter((url) => url.includes(key))).toEqual([]);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    expect(consoleErrors).toEqual([]);
  });
});
