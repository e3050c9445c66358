/**
 * The search lab and the GraphQL playground in headless Chromium.
 * Screenshots go to test-output/browser/.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, ROOT, SCREENSHOTS, startTarget, type Target } from './browser-target';

jest.setTimeout(180_000);

describe('search lab in a browser', () => {
  let target: Target;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];
  const foreignRequests: string[] = [];

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    target = await startTarget();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    page.on('request', (request) => {
      const url = request.url();
      if (!url.startsWith(target.url) && !url.startsWith('data:') && !url.startsWith('blob:')) foreignRequests.push(url);
    });
  });

  afterAll(async () => {
    await browser?.close();
    await target?.close();
  });

  const cardIds = () => page.locator('#results .card').evaluateAll((cards) => cards.map((c) => (c as HTMLElement).dataset.productId));
  const totalCount = async () => Number(await page.locator('#total-count').textContent());
  /** Runs an action and waits until the lab has re-rendered from a new GraphQL answer. */
  async function andWaitForSearch(action: () => Promise<unknown>): Promise<void> {
    const response = page.waitForResponse((r) => r.url().endsWith('/graphql') && r.request().postData()?.includes('"LabSearch"') === true);
    await action();
    await response;
    await page.waitForFunction(() => document.getElementById('results-area')?.getAttribute('aria-busy') !== 'true');
  }

  it('searches by text and shows an image grid with scores and attributes', async () => {
    await page.goto(`${target.url}/lab`);
    await page.locator('#service-info').filter({ hasText: /products/ }).waitFor();
    await page.fill('#q-text', target.text);
    await andWaitForSearch(() => page.click('#search-button'));
    await expect(page.locator('#error').isHidden()).resolves.toBe(true);
    const cards = page.locator('#results .card');
    expect(await cards.count()).toBe(24);
    expect(await totalCount()).toBeGreaterThan(24);
    await expect(page.locator('#summary').textContent()).resolves.toContain('text search');
    const first = cards.first();
    expect(Number(await first.locator('.score').textContent())).not.toBeNaN();
    expect(await first.locator('.attr').count()).toBeGreaterThan(0);
    // Images are loaded from the server and decoded.
    await page.waitForFunction(() => Array.from(document.querySelectorAll<HTMLImageElement>('#results img')).slice(0, 6).every((img) => img.complete && img.naturalWidth > 0));
    expect(await page.locator('#facet-list .facet').count()).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(SCREENSHOTS, '01-text-search.png'), fullPage: false });
  });

  it('opens the explanation of a result: matched attributes and score parts', async () => {
    const first = page.locator('#results .card').first();
    await first.locator('.explain summary').click();
    await expect(first.locator('.explain-body').isVisible()).resolves.toBe(true);
    expect(await first.locator('.score-parts tbody tr').count()).toBeGreaterThan(0);
    const source = await first.locator('.score-parts tbody tr td').first().textContent();
    expect(source).toMatch(/^(dense:image|dense:image:attributes|dense:text|lexical)$/);
    expect(await first.locator('.explain-matched').textContent()).toMatch(/\S/);
    await first.screenshot({ path: path.join(SCREENSHOTS, '02-explanation.png') });
  });

  it('adds a filter from a facet value and an attribute condition', async () => {
    const before = await totalCount();
    const facet = page.locator('#facet-list .facet[data-attribute="colorFamily"]');
    const value = (await facet.locator('button').first().getAttribute('data-value')) as string;
    const expectedCount = Number(await facet.locator('button').first().locator('.facet-count').textContent());
    await andWaitForSearch(() => facet.locator('button').first().click());
    await expect(page.locator('#filter-list .chip').first().textContent()).resolves.toContain(`colorFamily any of: ${value}`);
    expect(await totalCount()).toBe(expectedCount);
    expect(await totalCount()).toBeLessThanOrEqual(before);
    const attributes = await page.locator('#results .card .all-attrs').allTextContents();
    expect(attributes.length).toBeGreaterThan(0);
    for (const text of attributes) expect(text).toContain(`colorFamily=${value}`);

    // A none-of condition typed in the form, and in stock only.
    await page.selectOption('#f-attribute', 'category');
    await page.selectOption('#f-mode', 'noneOf');
    await page.fill('#f-values', 'coat');
    await page.click('#f-add');
    await page.check('#f-in-stock');
    await andWaitForSearch(() => page.click('#search-button'));
    expect(await page.locator('#filter-list .chip').count()).toBe(2);
    for (const text of await page.locator('#results .card .all-attrs').allTextContents()) {
      expect(text).not.toContain('category=coat');
    }
    for (const stock of await page.locator('#results .card .stock').allTextContents()) expect(stock).toBe('In stock');
    await page.screenshot({ path: path.join(SCREENSHOTS, '03-filtered.png') });

    // Back to the unfiltered query for paging.
    for (let i = (await page.locator('#filter-list .chip').count()) - 1; i >= 0; i--) {
      await andWaitForSearch(() => page.locator('#filter-list .chip button').nth(i).click());
    }
    await page.uncheck('#f-in-stock');
    await andWaitForSearch(() => page.click('#search-button'));
    expect(await totalCount()).toBe(before);
  });

  it('pages forward and back with cursors, without duplicates', async () => {
    const pageOne = await cardIds();
    expect(await page.locator('#page-prev').isDisabled()).toBe(true);
    await andWaitForSearch(() => page.click('#page-next'));
    await expect(page.locator('#page-label').textContent()).resolves.toBe('Page 2');
    const pageTwo = await cardIds();
    expect(pageTwo.length).toBeGreaterThan(0);
    expect(pageTwo.filter((id) => pageOne.includes(id))).toEqual([]);
    await expect(page.locator('#results .card .rank').first().textContent()).resolves.toBe('#25');
    await page.screenshot({ path: path.join(SCREENSHOTS, '04-page-two.png') });
    await andWaitForSearch(() => page.click('#page-prev'));
    await expect(page.locator('#page-label').textContent()).resolves.toBe('Page 1');
    expect(await cardIds()).toEqual(pageOne);
  });

  it('shows how a query was understood, and searches it as typed on request', async () => {
    await page.fill('#q-text', 'crimson ankel boots but not leather');
    await andWaitForSearch(() => page.click('#search-button'));
    await expect(page.locator('#understanding').isVisible()).resolves.toBe(true);
    await expect(page.locator('#spelling').textContent()).resolves.toContain('crimson ankle boots but not leather');
    const chips = page.locator('#understood-attributes .chip');
    await expect(chips.filter({ hasText: 'color: red' }).count()).resolves.toBe(1);
    await expect(page.locator('#understood-attributes .chip.exclude').textContent()).resolves.toContain('material: leather');
    await expect(page.locator('#search-text').textContent()).resolves.toContain('red ankle boots');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(SCREENSHOTS, '05-understanding.png') });
    await andWaitForSearch(() => page.click('#search-as-typed'));
    await expect(page.locator('#understanding').textContent()).resolves.toContain('Searched as typed');
    await expect(page.locator('#spelling').count()).resolves.toBe(0);
  });

  it('uses a result as the query image, then adds a modifier', async () => {
    const second = page.locator('#results .card').nth(1);
    const productId = (await second.getAttribute('data-product-id')) as string;
    await andWaitForSearch(() => second.locator('.use-image').click());
    await expect(page.locator('#image-preview').isVisible()).resolves.toBe(true);
    await expect(page.locator('#image-preview-label').textContent()).resolves.toContain(productId);
    await expect(page.locator('#summary').textContent()).resolves.toContain('image search');
    await expect(page.locator('#q-text').inputValue()).resolves.toBe('');

    await page.fill('#q-modifier', 'same but in blue');
    await andWaitForSearch(() => page.click('#search-button'));
    await expect(page.locator('#error').isHidden()).resolves.toBe(true);
    await expect(page.locator('#summary').textContent()).resolves.toContain('image + modifier search');
    expect(await page.locator('#results .card').count()).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(SCREENSHOTS, '06-composed.png') });
  });

  it('searches with an uploaded picture and with a product picked by id', async () => {
    await page.click('#image-clear');
    await page.fill('#q-modifier', '');
    await page.setInputFiles('#q-image-file', path.join(ROOT, 'seed/demo/images/p-test-00000-0.webp'));
    await page.locator('#image-preview-label').filter({ hasText: 'Uploaded: p-test-00000-0.webp' }).waitFor();
    await andWaitForSearch(() => page.click('#search-button'));
    await expect(page.locator('#error').isHidden()).resolves.toBe(true);
    await expect(page.locator('#summary').textContent()).resolves.toContain('image search');
    // The uploaded picture is the catalogue image of p-test-00000-0: its own product comes first.
    expect((await cardIds())[0]).toBe('p-test-00000-0');

    await page.fill('#q-image-id', 'p-test-00001-0');
    await page.click('#q-image-id-use');
    await page.locator('#image-preview-label').filter({ hasText: 'p-test-00001-0' }).waitFor();
    await andWaitForSearch(() => page.click('#search-button'));
    await expect(page.locator('#summary').textContent()).resolves.toContain('image search');
    expect(await page.locator('#results .card').count()).toBeGreaterThan(0);

    // Colour likeness to the picture in the ranking, shown in each result's explanation.
    await page.fill('#q-colour-weight', '1');
    await andWaitForSearch(() => page.click('#search-button'));
    await expect(page.locator('#error').isHidden()).resolves.toBe(true);
    const first = page.locator('#results .card').first();
    await first.locator('.explain summary').click();
    await expect(first.locator('.explain-colours').textContent()).resolves.toMatch(/^Colours of the picture: \d+% [a-z ]+.* · colour likeness to the query picture \d+%$/);
    await page.fill('#q-colour-weight', '');

    await page.fill('#q-image-id', 'p-does-not-exist');
    await page.click('#q-image-id-use');
    await page.locator('#error .error-code').filter({ hasText: 'NOT_FOUND' }).waitFor();
    await expect(page.locator('#image-preview-label').textContent()).resolves.toContain('p-test-00001-0');
  });

  it('shows the GraphQL error message and code', async () => {
    await page.click('#image-clear');
    await page.fill('#q-text', target.text);
    await page.fill('#q-modifier', 'same but in blue');
    await andWaitForSearch(() => page.click('#search-button'));
    const error = page.locator('#error');
    await expect(error.isVisible()).resolves.toBe(true);
    await expect(error.locator('.error-code').first().textContent()).resolves.toBe('BAD_USER_INPUT');
    await expect(error.locator('.error-message').first().textContent()).resolves.toMatch(/modifier/i);
    await page.screenshot({ path: path.join(SCREENSHOTS, '07-error.png') });
    await page.fill('#q-modifier', '');
    await andWaitForSearch(() => page.click('#search-button'));
    await expect(error.isHidden()).resolves.toBe(true);
  });

  it('opens GraphiQL with the example operations and runs one', async () => {
    await page.goto(`${target.url}/graphql`);
    await page.locator('.graphiql-container').waitFor();
    const tabs = page.locator('.graphiql-tab');
    await expect(tabs.count()).resolves.toBe(9);
    await expect(tabs.first().textContent()).resolves.toContain('TextSearch');
    const response = page.waitForResponse((r) => r.url().endsWith('/graphql') && r.request().method() === 'POST' && r.request().postData()?.includes('TextSearch') === true);
    await page.click('.graphiql-execute-button');
    const body = await (await response).json();
    expect(body.errors).toBeUndefined();
    expect(body.data.search.edges.length).toBeGreaterThan(0);
    await page.locator('.result-window').filter({ hasText: '"searchId"' }).waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, '08-graphiql.png') });
  });

  it('loaded nothing from outside the server and logged no errors', () => {
    expect(foreignRequests).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});
