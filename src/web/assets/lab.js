// Search lab: a small client of the GraphQL API (no build step, no dependencies). This module is
// the search page (/lab) and switches to the rules page (/lab/rules, lab-rules.js) without
// reloading, so a search stays as it was while its results are turned into rules.
// The operations it sends live in src/web/operations/lab.graphql and arrive via /static/operations.json.

import { apiKey, clearErrorIn, graphql, h, LabError, showErrorIn } from './lab-api.js';
import { createRulesView } from './lab-rules.js';

const FACET_ATTRIBUTES = ['category', 'group', 'colorFamily', 'color', 'pattern', 'material', 'brand', 'gender', 'season', 'occasion', 'fit', 'size'];
const CARD_ATTRIBUTES = ['category', 'color', 'pattern', 'material', 'brand'];

const $ = (id) => document.getElementById(id);

const el = {
  form: $('query-form'),
  text: $('q-text'),
  imageFile: $('q-image-file'),
  imageId: $('q-image-id'),
  imageIdUse: $('q-image-id-use'),
  imagePreview: $('image-preview'),
  imagePreviewImg: $('image-preview-img'),
  imagePreviewLabel: $('image-preview-label'),
  imageClear: $('image-clear'),
  modifier: $('q-modifier'),
  context: $('q-context'),
  colourWeight: $('q-colour-weight'),
  filterList: $('filter-list'),
  fAttribute: $('f-attribute'),
  fMode: $('f-mode'),
  fValues: $('f-values'),
  fValuesList: $('f-values-list'),
  fAdd: $('f-add'),
  priceMin: $('f-price-min'),
  priceMax: $('f-price-max'),
  inStock: $('f-in-stock'),
  first: $('q-first'),
  searchButton: $('search-button'),
  area: $('results-area'),
  error: $('error'),
  summary: $('summary'),
  results: $('results'),
  prev: $('page-prev'),
  next: $('page-next'),
  pageLabel: $('page-label'),
  facetList: $('facet-list'),
  serviceInfo: $('service-info'),
  understanding: $('understanding'),
  rulesFired: $('rules-fired'),
  searchView: $('search-view'),
  rulesView: $('rules-view'),
  navSearch: $('nav-search'),
  navRules: $('nav-rules'),
  keyForm: $('key-form'),
  key: $('api-key'),
  keyForget: $('api-key-forget'),
  ruleAttributes: $('rule-attributes'),
};

const state = {
  /** null | { productId, title, imageUrl } | { base64, name, previewUrl } */
  image: null,
  /** [{ attribute, mode: 'anyOf' | 'noneOf', values: string[] }] */
  conditions: [],
  /** After-cursors of the pages visited: cursors[i] opens page i. */
  cursors: [null],
  page: 0,
  facets: [],
  sequence: 0,
  searched: false,
  nextCursor: null,
  /** false after "search instead for ...": the text is searched as typed. */
  correctSpelling: true,
  /** The text (or modifier) and context of the search on screen: what rules made from its results match. */
  lastSearch: null,
};

// ---- errors -------------------------------------------------------------------------------

const showError = (error) => showErrorIn(el.error, error);
const clearError = () => clearErrorIn(el.error);

// ---- query image --------------------------------------------------------------------------

function renderImage() {
  const image = state.image;
  el.imagePreview.hidden = !image;
  if (!image) {
    el.imagePreviewImg.removeAttribute('src');
    el.imagePreviewLabel.textContent = '';
    return;
  }
  el.imagePreviewImg.src = image.productId ? image.imageUrl : image.previewUrl;
  el.imagePreviewLabel.textContent = image.productId ? `${image.title} (${image.productId})` : `Uploaded: ${image.name}`;
}

function setImage(image) {
  state.image = image;
  renderImage();
}

async function useProductId(productId) {
  const id = productId.trim();
  if (!id) {
    showError(new LabError([{ message: 'Type a product id to use its image as the query.', code: 'BAD_USER_INPUT' }]));
    return false;
  }
  try {
    const data = await graphql('LabProduct', { id });
    if (!data.product) throw new LabError([{ message: `No product has the id "${id}".`, code: 'NOT_FOUND' }]);
    clearError();
    setImage({ productId: data.product.id, title: data.product.title, imageUrl: data.product.imageUrl });
    el.imageFile.value = '';
    return true;
  } catch (error) {
    showError(error);
    return false;
  }
}

function readFileAsDataUrl(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error || new Error('could not read the file'));
    reader.readAsDataURL(file);
  });
}

// ---- filters ------------------------------------------------------------------------------

function renderAttributeOptions() {
  const names = new Set(FACET_ATTRIBUTES);
  for (const facet of state.facets) names.add(facet.attribute);
  const current = el.fAttribute.value;
  el.fAttribute.replaceChildren(...[...names].map((name) => h('option', { value: name, text: name })));
  el.ruleAttributes.replaceChildren(...[...names].map((name) => h('option', { value: name })));
  if (names.has(current)) el.fAttribute.value = current;
  renderValueSuggestions();
}

function renderValueSuggestions() {
  const facet = state.facets.find((f) => f.attribute === el.fAttribute.value);
  el.fValuesList.replaceChildren(...(facet ? facet.values.map((v) => h('option', { value: v.value }, `${v.count}`)) : []));
}

function renderConditions() {
  el.filterList.replaceChildren(
    ...state.conditions.map((condition, index) =>
      h(
        'li',
        { class: condition.mode === 'noneOf' ? 'chip none-of' : 'chip', dataset: { attribute: condition.attribute } },
        `${condition.attribute} ${condition.mode === 'noneOf' ? 'none of' : 'any of'}: ${condition.values.join(', ')}`,
        h('button', {
          type: 'button',
          'aria-label': `Remove condition on ${condition.attribute}`,
          text: '×',
          onclick: () => {
            state.conditions.splice(index, 1);
            renderConditions();
            search({ reset: true });
          },
        }),
      ),
    ),
  );
}

function addCondition(attribute, mode, values) {
  const clean = [...new Set(values.map((v) => v.trim()).filter(Boolean))];
  if (!attribute || clean.length === 0) {
    showError(new LabError([{ message: 'Choose an attribute and type at least one value.', code: 'BAD_USER_INPUT' }]));
    return false;
  }
  const existing = state.conditions.find((c) => c.attribute === attribute && c.mode === mode);
  if (existing) existing.values = [...new Set([...existing.values, ...clean])];
  else state.conditions.push({ attribute, mode, values: clean });
  renderConditions();
  return true;
}

/** Clicking a facet value toggles it in the attribute's any-of condition. */
function toggleFacetValue(attribute, value) {
  const existing = state.conditions.find((c) => c.attribute === attribute && c.mode === 'anyOf');
  if (existing && existing.values.includes(value)) {
    existing.values = existing.values.filter((v) => v !== value);
    if (existing.values.length === 0) state.conditions.splice(state.conditions.indexOf(existing), 1);
    renderConditions();
  } else {
    addCondition(attribute, 'anyOf', [value]);
  }
  search({ reset: true });
}

function readPrice(input, label) {
  const raw = input.value.trim();
  if (raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new LabError([{ message: `${label} price must be a number of 0 or more.`, code: 'BAD_USER_INPUT' }]);
  return value;
}

function buildFilter() {
  const filter = {};
  const attributes = state.conditions.map((c) => ({ attribute: c.attribute, [c.mode]: c.values }));
  if (attributes.length > 0) filter.attributes = attributes;
  const min = readPrice(el.priceMin, 'Minimum');
  const max = readPrice(el.priceMax, 'Maximum');
  if (min !== undefined || max !== undefined) {
    filter.price = {};
    if (min !== undefined) filter.price.min = min;
    if (max !== undefined) filter.price.max = max;
  }
  if (el.inStock.checked) filter.inStock = true;
  return Object.keys(filter).length > 0 ? filter : undefined;
}

function buildInput(after) {
  const input = { facets: FACET_ATTRIBUTES, first: Number(el.first.value) || 24 };
  const text = el.text.value.trim();
  if (text) input.text = text;
  if (state.image) input.image = state.image.productId ? { productId: state.image.productId } : { base64: state.image.base64 };
  const modifier = el.modifier.value.trim();
  if (modifier) input.modifier = modifier;
  const filter = buildFilter();
  if (filter) input.filter = filter;
  if (after) input.after = after;
  if (!state.correctSpelling) input.correctSpelling = false;
  const context = el.context.value.trim();
  if (context) input.context = context;
  // Colour likeness to the query picture (image searches); the server says when the value is out of range.
  const colourWeight = el.colourWeight.value.trim();
  if (colourWeight !== '' && input.image && !input.modifier && !input.text) input.colourWeight = Number(colourWeight);
  return input;
}

// ---- results ------------------------------------------------------------------------------

function formatPrice(price, currency) {
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(price);
  } catch {
    return `${price.toFixed(2)} ${currency}`;
  }
}

function renderExplanation(edge) {
  const { explanation } = edge;
  const list = (items) => (items.length > 0 ? items.map((a) => `${a.name}: ${a.value}`).join(', ') : 'none');
  return h(
    'details',
    { class: 'explain' },
    h('summary', { text: 'Why this result' }),
    h(
      'div',
      { class: 'explain-body' },
      h(
        'dl',
        {},
        h('dt', { text: 'Matched attributes' }),
        h('dd', { class: 'explain-matched', text: list(explanation.matchedAttributes) }),
        h('dt', { text: 'Not matched' }),
        h('dd', { class: 'explain-unmatched', text: list(explanation.unmatchedAttributes) }),
      ),
      h(
        'table',
        { class: 'score-parts' },
        h('thead', {}, h('tr', {}, h('th', { text: 'Source' }), h('th', { text: 'Score' }), h('th', { text: 'Rank' }))),
        h(
          'tbody',
          {},
          explanation.scoreParts.map((part) =>
            h('tr', {}, h('td', { text: part.source }), h('td', { text: part.score.toFixed(4) }), h('td', { text: String(part.rank) })),
          ),
        ),
      ),
      explanation.scoreParts.length === 0 ? h('div', { class: 'muted', text: 'No retrieval score reported for this result.' }) : null,
      h('div', { text: `Re-rank boost: ${explanation.rerankBoost.toFixed(4)} · final score ${edge.score.toFixed(4)}` }),
      renderRuleEffects(explanation),
      explanation.predictedMatches.length > 0
        ? h('div', { class: 'explain-predicted', text: `Matched through predictions from the image: ${explanation.predictedMatches.map((a) => `${a.name}: ${a.value} (${Math.round(a.confidence * 100)}%)`).join(', ')}` })
        : null,
      h(
        'div',
        { class: 'all-attrs' },
        `All attributes: ${edge.node.attributes.map((a) => `${a.name}=${a.value}`).join(', ')}`,
      ),
      explanation.colours
        ? h(
            'div',
            { class: 'explain-colours muted' },
            `Colours of the picture: ${explanation.colours}${explanation.colourSimilarity != null ? ` · colour likeness to the query picture ${Math.round(explanation.colourSimilarity * 100)}%` : ''}`,
          )
        : null,
      edge.node.predictedAttributes.length > 0
        ? h(
            'div',
            { class: 'predicted-attrs muted' },
            `Predicted from the image: ${edge.node.predictedAttributes
              .filter((a, i, all) => all.findIndex((b) => b.name === a.name) === i)
              .map((a) => `${a.name}=${a.value} ${Math.round(a.confidence * 100)}%${a.filterable ? '' : ' (not filterable)'}`)
              .join(', ')}`,
          )
        : null,
    ),
  );
}

const EFFECT_LABELS = { PIN: 'Pinned', BOOST: 'Boosted', BURY: 'Buried' };

/** What merchandising rules did to a result, and where it would be without them. */
function renderRuleEffects(explanation) {
  if (explanation.rules.length === 0) {
    return explanation.positionWithoutRules != null && state.lastSearch && state.lastSearch.rulesFired
      ? h('div', { class: 'explain-rules muted', text: `No rule moved this result · position without rules: ${explanation.positionWithoutRules}` })
      : null;
  }
  return h(
    'div',
    { class: 'explain-rules' },
    h('strong', { text: 'Merchandising rules' }),
    h(
      'ul',
      {},
      explanation.rules.map((effect) =>
        h(
          'li',
          { dataset: { ruleId: effect.ruleId, kind: effect.kind } },
          h('button', { type: 'button', class: 'link rule-link', text: effect.ruleId, onclick: () => openRule(effect.ruleId) }),
          `: ${effect.detail}`,
        ),
      ),
    ),
    explanation.positionWithoutRules != null ? h('div', { class: 'position-without-rules', text: `Position without rules: ${explanation.positionWithoutRules}` }) : null,
  );
}

/** Opens the rules page on a rule for the text searched, made from this result: pin, hide or boost its brand. */
function ruleFromResult(kind, product, position) {
  const search = state.lastSearch;
  if (!search || !search.text) return;
  const brandAttribute = product.attributes.find((a) => a.name === 'brand');
  showView('rules', { activate: false });
  rules.draftFromResult({ kind, product, position, brand: brandAttribute ? brandAttribute.value : product.brand, text: search.text, context: search.context });
}

function renderCard(edge, position) {
  const product = edge.node;
  const matched = new Set(edge.explanation.matchedAttributes.map((a) => `${a.name}\u0000${a.value}`));
  const shown = product.attributes.filter((a) => CARD_ATTRIBUTES.includes(a.name) || matched.has(`${a.name}\u0000${a.value}`));
  return h(
    'li',
    { class: 'card', dataset: { productId: product.id } },
    h(
      'div',
      { class: 'card-image' },
      h('img', { src: product.imageUrl, alt: product.title, loading: 'lazy', width: 200, height: 200 }),
      h('span', { class: 'rank', text: `#${position}` }),
      h('span', { class: 'score', title: 'Score', text: edge.score.toFixed(3) }),
      edge.explanation.rules.length
        ? h('span', {
            class: 'rule-badge',
            title: edge.explanation.rules.map((r) => `${r.ruleId}: ${r.detail}`).join('\n'),
            text: [...new Set(edge.explanation.rules.map((r) => EFFECT_LABELS[r.kind] || r.kind))].join(' · '),
          })
        : null,
    ),
    h(
      'div',
      { class: 'card-body' },
      h('div', { class: 'card-title', text: product.title }),
      h('div', { class: 'card-id', text: product.id }),
      h(
        'div',
        { class: 'card-meta' },
        h('span', { class: 'price', text: formatPrice(product.price, product.currency) }),
        h('span', { class: product.inStock ? 'stock in' : 'stock out', text: product.inStock ? 'In stock' : 'Out of stock' }),
      ),
      h(
        'ul',
        { class: 'attrs' },
        shown.map((a) => h('li', { class: matched.has(`${a.name}\u0000${a.value}`) ? 'attr matched' : 'attr', text: `${a.name}: ${a.value}` })),
      ),
      renderExplanation(edge),
      h(
        'div',
        { class: 'card-actions' },
        h('button', {
          type: 'button',
          class: 'use-image',
          text: 'Use as query image',
          onclick: () => useResultAsImage(product),
        }),
      ),
      renderRuleActions(product, position),
    ),
  );
}

function renderRuleActions(product, position) {
  const text = state.lastSearch && state.lastSearch.text;
  const title = text ? null : 'Rules match the text or modifier of a search: search with text to make one';
  const button = (kind, label, hint) =>
    h('button', { type: 'button', class: `rule-${kind}`, text: label, disabled: !text, title: title || hint, onclick: () => ruleFromResult(kind, product, position) });
  return h(
    'div',
    { class: 'card-actions rule-actions', 'aria-label': 'Make a rule' },
    button('pin', 'Pin here', `Pin this product at position ${position} for “${text}”`),
    button('hide', 'Hide', `Hide this product for “${text}”`),
    button('boost', 'Boost brand', `Boost ${product.brand} for “${text}”`),
  );
}

/** The rules that fired for the search, the text they rewrote it to and a redirect. */
function renderRulesFired(connection) {
  const parts = [];
  if (connection.rules.length) {
    parts.push(
      h('h2', { text: 'Merchandising rules fired' }),
      h(
        'ul',
        { class: 'chips', id: 'fired-rules' },
        connection.rules.map((rule) =>
          h(
            'li',
            { class: 'chip fired-rule', dataset: { ruleId: rule.id }, title: rule.description || null },
            h('button', { type: 'button', class: 'link rule-link', text: rule.id, onclick: () => openRule(rule.id) }),
            h('small', { text: ` ${rule.actions.join(', ')}` }),
          ),
        ),
      ),
    );
  }
  if (connection.rewrittenText) parts.push(h('p', { id: 'rewritten-text' }, 'Rules rewrote the text to ', h('strong', { text: `“${connection.rewrittenText}”` })));
  if (connection.categoryPrediction) {
    const [top] = connection.categoryPrediction.categories;
    if (top) {
      const use = connection.categoryPrediction.use === 'FILTER' ? 'only this category is shown' : 'this category ranks higher';
      parts.push(h('p', { id: 'category-prediction' }, 'Predicted category: ', h('strong', { text: `${top.value} (${Math.round(top.probability * 100)}%)` }), ` · ${use}`));
    }
  }
  if (connection.redirect) {
    const url = connection.redirect.url;
    const safe = /^https?:\/\//i.test(url);
    parts.push(
      h(
        'p',
        { id: 'redirect', class: 'redirect' },
        'Redirect to ',
        safe ? h('a', { href: url, rel: 'noopener noreferrer', target: '_blank', text: url }) : h('code', { text: url }),
        connection.redirect.keepResults ? ' (results kept)' : ' (the storefront shows no results)',
      ),
    );
  }
  el.rulesFired.replaceChildren(...parts);
  el.rulesFired.hidden = parts.length === 0;
}

function renderFacets(facets) {
  const active = (attribute, value) =>
    state.conditions.some((c) => c.attribute === attribute && c.mode === 'anyOf' && c.values.includes(value));
  el.facetList.replaceChildren(
    ...facets
      .filter((facet) => facet.values.length > 0)
      .map((facet) =>
        h(
          'section',
          { class: 'facet', dataset: { attribute: facet.attribute } },
          h('h3', { text: facet.attribute }),
          h(
            'ul',
            {},
            facet.values.map((v) =>
              h(
                'li',
                {},
                h(
                  'button',
                  {
                    type: 'button',
                    'aria-pressed': active(facet.attribute, v.value) ? 'true' : 'false',
                    dataset: { value: v.value },
                    onclick: () => toggleFacetValue(facet.attribute, v.value),
                  },
                  h('span', { class: 'facet-value', text: v.value }),
                  h('span', { class: 'facet-count', text: String(v.count) }),
                ),
              ),
            ),
          ),
        ),
      ),
  );
}

const MODE_LABELS = {
  TEXT: 'text',
  IMAGE: 'image',
  COMPOSED: 'image + modifier',
  TEXT_AND_IMAGE: 'text + image',
  SIMILAR: 'similar products',
};

const SOURCE_LABELS = {
  CATALOGUE: 'catalogue word',
  CATALOGUE_PHRASE: 'catalogue phrase',
  COMPOUND: 'compound word',
  COLOUR_NAME: 'colour dictionary',
  WORD_VECTOR: 'word vectors',
};

const USE_LABELS = {
  FILTER: 'filters results',
  RETRIEVAL: 'retrieves matches',
  RANKING: 're-ranks',
  EXCLUSION: 'excluded',
  IGNORED: 'too unsure, ignored',
};

/** How the text (or modifier) was understood: corrections, attributes with polarity, source and use, price. */
function renderUnderstanding(u) {
  if (!u) {
    el.understanding.hidden = true;
    el.understanding.replaceChildren();
    return;
  }
  const parts = [h('h2', { text: u.field === 'MODIFIER' ? 'Modifier understood as' : 'Understood as' })];
  if (u.correctedText) {
    parts.push(
      h(
        'p',
        { id: 'spelling', class: 'spelling' },
        'Showing results for ',
        h('strong', { text: u.correctedText }),
        '. ',
        h('button', {
          type: 'button',
          class: 'link',
          id: 'search-as-typed',
          text: `Search instead for “${u.originalText}”`,
          onclick: () => {
            state.correctSpelling = false;
            search({ reset: true });
          },
        }),
      ),
    );
  } else if (!state.correctSpelling) {
    parts.push(h('p', { class: 'spelling muted', text: 'Searched as typed, without spelling correction.' }));
  }
  const chips = u.attributes.map((a) =>
    h(
      'li',
      {
        class: `chip understood ${a.polarity === 'EXCLUDE' ? 'exclude' : 'include'} use-${a.use.toLowerCase()}`,
        title: `from “${a.words}” · ${SOURCE_LABELS[a.source] || a.source} · confidence ${a.confidence.toFixed(2)} · ${USE_LABELS[a.use] || a.use}`,
      },
      h('span', { class: 'polarity', text: a.polarity === 'EXCLUDE' ? 'not ' : '' }),
      `${a.name}: ${a.value}`,
      h('small', { text: ` ${(a.confidence * 100).toFixed(0)}% · ${USE_LABELS[a.use] || a.use}` }),
    ),
  );
  if (u.price) {
    const range = [u.price.min != null ? `from ${u.price.min}` : '', u.price.max != null ? `up to ${u.price.max}` : ''].filter(Boolean).join(' ');
    chips.push(h('li', { class: `chip understood price${u.price.applied ? '' : ' ignored'}`, text: `price ${range}${u.price.currency ? ` ${u.price.currency}` : ''}` }));
  }
  parts.push(chips.length ? h('ul', { class: 'chips', id: 'understood-attributes' }, ...chips) : h('p', { class: 'muted', text: 'No attribute recognised.' }));
  parts.push(h('p', { class: 'muted', id: 'search-text', text: `Encoded as: “${u.searchText || u.originalText}”` }));
  el.understanding.replaceChildren(...parts);
  el.understanding.hidden = false;
}

function renderResults(connection) {
  const firstPosition = state.page * (Number(el.first.value) || 24) + 1;
  el.results.replaceChildren(...connection.edges.map((edge, i) => renderCard(edge, firstPosition + i)));
  const shownTo = firstPosition + connection.edges.length - 1;
  el.summary.replaceChildren(
    h('strong', { id: 'total-count', text: `${connection.totalCount}` }),
    ` matching products · ${MODE_LABELS[connection.mode] || connection.mode} search`,
    connection.edges.length > 0 ? ` · showing ${firstPosition}–${shownTo}` : ' · no results on this page',
    h('span', { class: 'muted', text: ` · search ${connection.searchId}` }),
  );
  renderUnderstanding(connection.understanding);
  renderRulesFired(connection);
  state.facets = connection.facets;
  renderFacets(connection.facets);
  renderAttributeOptions();
  el.prev.disabled = state.page === 0;
  el.next.disabled = !connection.pageInfo.hasNextPage;
  el.pageLabel.textContent = `Page ${state.page + 1}`;
  state.nextCursor = connection.pageInfo.endCursor;
}

async function search({ reset = false } = {}) {
  if (reset) {
    state.cursors = [null];
    state.page = 0;
  }
  let input;
  try {
    input = buildInput(state.cursors[state.page]);
  } catch (error) {
    showError(error);
    return;
  }
  if (!input.text && !input.image) {
    showError(new LabError([{ message: 'Type some text or choose a query image (upload, product id, or "Use as query image").', code: 'BAD_USER_INPUT' }]));
    return;
  }
  const sequence = ++state.sequence;
  el.area.setAttribute('aria-busy', 'true');
  el.searchButton.disabled = true;
  try {
    const data = await graphql('LabSearch', { input });
    if (sequence !== state.sequence) return;
    clearError();
    state.searched = true;
    state.lastSearch = { text: input.text || input.modifier || null, context: input.context || null, rulesFired: data.search.rules.length > 0 };
    renderResults(data.search);
  } catch (error) {
    if (sequence !== state.sequence) return;
    showError(error);
  } finally {
    if (sequence === state.sequence) {
      el.area.removeAttribute('aria-busy');
      el.searchButton.disabled = false;
    }
  }
}

function useResultAsImage(product) {
  setImage({ productId: product.id, title: product.title, imageUrl: product.imageUrl });
  el.imageFile.value = '';
  el.text.value = '';
  el.modifier.value = '';
  el.modifier.focus();
  window.scrollTo({ top: 0, behavior: 'smooth' });
  search({ reset: true });
}

// ---- events -------------------------------------------------------------------------------

el.form.addEventListener('submit', (event) => {
  event.preventDefault();
  // A new search corrects spelling again; "search instead for ..." turns it off for one query.
  state.correctSpelling = true;
  search({ reset: true });
});

el.prev.addEventListener('click', () => {
  if (state.page === 0) return;
  state.page -= 1;
  search();
});

el.next.addEventListener('click', () => {
  if (!state.nextCursor) return;
  state.cursors[state.page + 1] = state.nextCursor;
  state.page += 1;
  search();
});

el.imageIdUse.addEventListener('click', () => useProductId(el.imageId.value));
el.imageId.addEventListener('keydown', (event) => {
  if (event.key === 'Enter') {
    event.preventDefault();
    useProductId(el.imageId.value);
  }
});

el.imageFile.addEventListener('change', async () => {
  const file = el.imageFile.files && el.imageFile.files[0];
  if (!file) return;
  try {
    const dataUrl = await readFileAsDataUrl(file);
    clearError();
    setImage({ base64: dataUrl, name: file.name, previewUrl: dataUrl });
  } catch (error) {
    showError(error);
  }
});

el.imageClear.addEventListener('click', () => {
  setImage(null);
  el.imageFile.value = '';
  el.modifier.value = '';
});

el.first.addEventListener('change', () => {
  if (state.searched) search({ reset: true });
});

el.fAttribute.addEventListener('change', renderValueSuggestions);
el.fAdd.addEventListener('click', () => {
  if (addCondition(el.fAttribute.value, el.fMode.value, el.fValues.value.split(','))) {
    el.fValues.value = '';
    clearError();
  }
});
el.fValues.addEventListener('keydown', (event) => {
  if (event.key === 'Enter') {
    event.preventDefault();
    el.fAdd.click();
  }
});

// ---- pages and the API key ----------------------------------------------------------------

const rules = createRulesView();
// The lab's own path (/lab unless the server mounts it elsewhere); the rules page is <lab>/rules.
const labPath = location.pathname.replace(/\/rules\/?$/, '').replace(/\/$/, '') || '/lab';
const rulesPath = `${labPath}/rules`;
el.navSearch.href = labPath;
el.navRules.href = rulesPath;

const viewOfPath = () => (/\/rules\/?$/.test(location.pathname) ? 'rules' : 'search');

/** Shows the search or the rules page; `activate` reads the rule book again. */
function showView(view, { push = true, activate = true } = {}) {
  const onRules = view === 'rules';
  el.searchView.hidden = onRules;
  el.rulesView.hidden = !onRules;
  for (const [link, current] of [
    [el.navSearch, !onRules],
    [el.navRules, onRules],
  ]) {
    if (current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  document.title = `${onRules ? 'Rules' : 'Search lab'} · Fashion search`;
  const path = onRules ? rulesPath : labPath;
  if (push && location.pathname !== path) history.pushState({ view }, '', path + (onRules ? '' : location.search));
  if (onRules && activate) rules.activate();
}

function openRule(id) {
  showView('rules', { activate: false });
  rules.openRule(id);
}

for (const [link, view] of [
  [el.navSearch, 'search'],
  [el.navRules, 'rules'],
]) {
  link.addEventListener('click', (event) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    showView(view);
  });
}
window.addEventListener('popstate', () => showView(viewOfPath(), { push: false }));

// The key is kept in sessionStorage as it is typed; the rules page reads the rule book again with it.
el.key.value = apiKey.get();
el.key.addEventListener('input', () => apiKey.set(el.key.value.trim()));
const keyChanged = () => {
  if (!el.rulesView.hidden) rules.activate();
};
el.key.addEventListener('change', keyChanged);
el.keyForm.addEventListener('submit', (event) => {
  event.preventDefault();
  keyChanged();
});
el.keyForget.addEventListener('click', () => {
  el.key.value = '';
  apiKey.set('');
  keyChanged();
});

renderAttributeOptions();
renderConditions();
renderImage();
showView(viewOfPath(), { push: false });

graphql('LabServiceInfo', {})
  .then(({ serviceInfo }) => {
    const models = serviceInfo.models.map((m) => `${m.name}@${m.version}`).join(', ');
    el.serviceInfo.textContent = `${serviceInfo.productCount} products · ${serviceInfo.store} · ${serviceInfo.index}${models ? ` · ${models}` : ''}${serviceInfo.ready ? '' : ' · starting…'}`;
  })
  .catch(() => {
    el.serviceInfo.textContent = 'service information unavailable';
  });
