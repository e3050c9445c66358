// Preview of a rule on the search lab's rules page: the metric deltas (judgement sets and click
// replay, with their intervals and p-values; `flagged` as a warning) and, per query, the rankings
// before and after side by side, with the products that entered or left the top highlighted.

import { graphql, h } from './lab-api.js';

const QUERIES_PER_PAGE = 10;
const SOURCE_LABELS = { GIVEN: 'given', JUDGEMENT_SET: 'judged', RECORDED: 'recorded' };

const number = (x, digits = 3) => (Number.isFinite(x) ? x.toFixed(digits) : '–');
const signed = (x, digits = 3) => (Number.isFinite(x) ? `${x > 0 ? '+' : ''}${x.toFixed(digits)}` : '–');

/** Products by id (title, image) for the rankings, in pages of 100 (the API's limit). */
async function loadProducts(ids, known) {
  const missing = [...new Set(ids)].filter((id) => !known.has(id));
  for (let i = 0; i < missing.length; i += 100) {
    const chunk = missing.slice(i, i + 100);
    const data = await graphql('LabProducts', { ids: chunk });
    chunk.forEach((id, j) => known.set(id, data.products[j] || null));
  }
}

function metricRow(delta, source) {
  const verdict = delta.significantLoss ? 'significant loss' : delta.significantGain ? 'significant gain' : 'no significant change';
  return h(
    'tr',
    { class: delta.significantLoss ? 'loss' : delta.significantGain ? 'gain' : null, dataset: { metric: delta.metric } },
    h('td', { text: delta.metric }),
    h('td', { text: source }),
    h('td', { class: 'num', text: number(delta.before) }),
    h('td', { class: 'num', text: number(delta.after) }),
    h('td', { class: 'num delta', text: signed(delta.difference) }),
    h('td', { class: 'num', text: `${signed(delta.lower)} … ${signed(delta.upper)}` }),
    h('td', { class: 'num', text: number(delta.pValue) }),
    h('td', { class: 'num', text: String(delta.queries) }),
    h('td', { class: 'verdict', text: verdict }),
  );
}

function renderMetrics(preview) {
  const rows = preview.judgements.map((d) => metricRow(d, 'judgements'));
  const replay = preview.clickReplay;
  if (replay.reciprocalRank) rows.push(metricRow(replay.reciprocalRank, 'click replay'));
  const table = h(
    'table',
    { id: 'preview-metrics', class: 'metrics' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Metric', 'Measured on', 'Before', 'After', 'Δ', '95% interval of Δ', 'p', 'Queries', ''].map((t) => h('th', { text: t })),
      ),
    ),
    h('tbody', {}, rows),
  );
  const notes = [
    preview.judgementSets.length ? `Judgement sets read: ${preview.judgementSets.join(', ')}.` : 'No judgement set on this server.',
    `Click replay: ${replay.searches} recorded searches with ${replay.clicks} clicks; clicked products moved up ${replay.movedUp}, down ${replay.movedDown}, dropped out ${replay.droppedOut}, brought in ${replay.broughtIn}.`,
  ];
  const parts = [h('h3', { text: 'Metric deltas' }), table];
  if (rows.length === 0) parts.push(h('p', { class: 'muted', id: 'preview-no-metrics', text: 'None of the previewed queries is judged or has recorded clicks: no metric to compare.' }));
  parts.push(h('p', { class: 'muted', text: notes.join(' ') }));
  return parts;
}

function rankingItem(id, position, products, mark) {
  const product = products.get(id);
  return h(
    'li',
    { class: `preview-item${mark.kind ? ` ${mark.kind}` : ''}`, dataset: { productId: id }, title: mark.title || null },
    h('span', { class: 'preview-pos', text: String(position) }),
    product && product.imageUrl ? h('img', { src: product.imageUrl, alt: '', loading: 'lazy', width: 40, height: 40 }) : h('span', { class: 'preview-noimg' }),
    h('span', { class: 'preview-text' }, h('span', { class: 'preview-title', text: product ? product.title : '(unknown product)' }), h('span', { class: 'preview-id', text: id })),
    mark.badge ? h('span', { class: 'preview-badge', text: mark.badge }) : null,
  );
}

function renderQuery(q, products) {
  const entered = new Set(q.entered);
  const left = new Set(q.left);
  const beforeAt = new Map(q.before.map((id, i) => [id, i + 1]));
  const before = q.before.map((id, i) =>
    rankingItem(id, i + 1, products, left.has(id) ? { kind: 'left', badge: 'left', title: 'Leaves the top with the rule' } : {}),
  );
  const after = q.after.map((id, i) => {
    if (entered.has(id)) return rankingItem(id, i + 1, products, { kind: 'entered', badge: 'new', title: 'Enters the top with the rule' });
    const was = beforeAt.get(id);
    const moved = was === undefined ? 0 : was - (i + 1);
    return rankingItem(id, i + 1, products, moved ? { kind: moved > 0 ? 'up' : 'down', badge: moved > 0 ? `↑${moved}` : `↓${-moved}` } : {});
  });
  const facts = [q.sources.map((s) => SOURCE_LABELS[s] || s).join(', ')];
  if (q.recordedSearches) facts.push(`searched ${q.recordedSearches}×`);
  facts.push(q.fired ? 'rule fires' : 'rule does not fire');
  facts.push(q.changed ? 'ranking changes' : 'ranking unchanged');
  if (q.redirect) facts.push(`redirects to ${q.redirect}`);
  return h(
    'section',
    { class: `preview-query${q.changed ? ' changed' : ''}`, dataset: { text: q.text } },
    h('h4', {}, `“${q.text}”`, h('small', { text: ` · ${facts.join(' · ')}` })),
    h(
      'div',
      { class: 'side-by-side' },
      h('div', { class: 'preview-before' }, h('h5', { text: 'Before (live rules)' }), h('ol', {}, before)),
      h('div', { class: 'preview-after' }, h('h5', { text: 'After (with this rule)' }), h('ol', {}, after)),
    ),
  );
}

/** Renders a RulePreview into the container; product details are loaded as queries are shown. */
export async function renderPreview(container, preview, { onError = () => undefined } = {}) {
  const products = new Map();
  const flag = preview.flagged
    ? h('div', { id: 'preview-flag', class: 'preview-flag flagged', role: 'alert' }, h('strong', { text: '⚠ Flagged: ' }), 'a metric loses significantly (p < 0.05) with this rule. Review it before publishing.')
    : h('div', { id: 'preview-flag', class: 'preview-flag ok' }, 'No metric loses significantly with this rule.');
  const warnings = preview.warnings.length ? h('ul', { class: 'preview-warnings' }, preview.warnings.map((w) => h('li', { text: w }))) : null;
  const queryList = h('div', { class: 'preview-queries' });
  const more = h('button', { type: 'button', id: 'preview-more', hidden: true, text: 'Show more queries' });
  const heading = h(
    'h3',
    { text: `Rankings: ${preview.queries.length} ${preview.queries.length === 1 ? 'query' : 'queries'}, top ${preview.depth}${preview.truncated ? ` (${preview.truncated} more matching queries left out)` : ''} · ${preview.elapsedMs} ms` },
  );
  container.replaceChildren(flag, ...(warnings ? [warnings] : []), ...renderMetrics(preview), heading, queryList, more);
  // In the server's order: given queries as given, else judged ones first, then the most searched.
  const queries = preview.queries;
  let shown = 0;
  const showMore = async () => {
    const page = queries.slice(shown, shown + QUERIES_PER_PAGE);
    shown += page.length;
    await loadProducts(page.flatMap((q) => [...q.before, ...q.after]), products);
    queryList.append(...page.map((q) => renderQuery(q, products)));
    more.hidden = shown >= queries.length;
  };
  more.addEventListener('click', () => showMore().catch(onError));
  if (queries.length === 0) queryList.append(h('p', { class: 'muted', text: 'No query to show.' }));
  else await showMore();
}
