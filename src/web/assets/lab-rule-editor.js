// Rule editor of the search lab's rules page: a form for the common fields of a RuleInput and a JSON
// editor for all of it. The form edits a copy of the rule: fields it has no input for (patterns,
// attribute conditions, modes, client-filter conditions, replacements, ignored terms, the added
// filter, active windows) are kept as they are and listed under the form.

import { h, LabError } from './lab-api.js';

const clone = (value) => JSON.parse(JSON.stringify(value));
const lines = (text) => text.split('\n').map((s) => s.trim()).filter(Boolean);
const commaList = (text) => [...new Set(text.split(',').map((s) => s.trim()).filter(Boolean))];
const idList = (text) => [...new Set(text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean))];

export function emptyRule() {
  return { id: '', description: '', enabled: true, actions: {} };
}

/** The rule id the lab suggests for a query (and context): its words, folded, joined by '-'. */
export function deriveRuleId(text, context) {
  const slug = (s) =>
    String(s || '')
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '');
  let id = slug(text) || 'rule';
  if (context && slug(context)) id = `${id.slice(0, 63 - slug(context).length - 1)}.${slug(context)}`;
  return id.slice(0, 64).replace(/[-.]+$/, '');
}

/** A RuleFilter as the API shows it, back to a ProductFilter; `deeper` is set when levels were cut. */
function filterToInput(f, flags) {
  if (!f) return undefined;
  const out = {};
  const attributes = (f.attributes || []).map((c) => {
    const condition = { attribute: c.attribute };
    if (c.anyOf && c.anyOf.length) condition.anyOf = [...c.anyOf];
    if (c.noneOf && c.noneOf.length) condition.noneOf = [...c.noneOf];
    return condition;
  });
  if (attributes.length) out.attributes = attributes;
  if (f.price && (f.price.min != null || f.price.max != null)) {
    out.price = {};
    if (f.price.min != null) out.price.min = f.price.min;
    if (f.price.max != null) out.price.max = f.price.max;
  }
  if (f.inStock != null) out.inStock = f.inStock;
  for (const key of ['and', 'or']) {
    const list = f[key] || [];
    if (!list.length) continue;
    if (!('attributes' in list[0])) flags.deeper = true;
    else out[key] = list.map((x) => filterToInput(x, flags));
  }
  if (f.not) {
    if (!('attributes' in f.not)) flags.deeper = true;
    else out.not = filterToInput(f.not, flags);
  }
  return out;
}

/**
 * A rule as the API shows it (Rule or RuleDefinition) as a RuleInput, empty lists left out.
 * Returns { input, deeperFilter } (deeperFilter: its filter nests deeper than the lab reads).
 */
export function definitionToInput(d) {
  const input = { id: d.id, description: d.description || '', enabled: d.enabled !== false, actions: {} };
  const c = d.conditions || {};
  const conditions = {};
  const q = c.query;
  if (q) {
    const query = {};
    if (q.is && q.is.length) query.is = [...q.is];
    if (q.contains && q.contains.length) query.contains = [...q.contains];
    if (q.matches) query.matches = q.matches;
    if (q.attributes && q.attributes.length) query.attributes = q.attributes.map(({ name, value }) => ({ name, value }));
    if (Object.keys(query).length) conditions.query = query;
  }
  if (c.modes && c.modes.length) conditions.modes = [...c.modes];
  if (c.contexts && c.contexts.length) conditions.contexts = [...c.contexts];
  if (c.filters && c.filters.length) conditions.filters = c.filters.map(({ name, value }) => ({ name, value }));
  if (Object.keys(conditions).length) input.conditions = conditions;
  const a = d.actions || {};
  const actions = input.actions;
  if (a.synonyms && a.synonyms.length) actions.synonyms = a.synonyms.map((s) => ({ terms: [...s.terms], oneWay: Boolean(s.oneWay) }));
  if (a.replacements && a.replacements.length) actions.replacements = a.replacements.map((r) => ({ term: r.term, with: r.with }));
  if (a.ignore && a.ignore.length) actions.ignore = [...a.ignore];
  if (a.pins && a.pins.length) actions.pins = a.pins.map((p) => ({ productId: p.productId, position: p.position }));
  if (a.hide && a.hide.length) actions.hide = [...a.hide];
  if (a.boosts && a.boosts.length) actions.boosts = a.boosts.map((b) => ({ attribute: b.attribute, values: [...b.values], weight: b.weight }));
  const flags = { deeper: false };
  const filter = filterToInput(a.filter, flags);
  if (filter) actions.filter = filter;
  if (a.redirect) actions.redirect = { url: a.redirect.url, keepResults: Boolean(a.redirect.keepResults) };
  if (d.activeFrom) input.activeFrom = d.activeFrom;
  if (d.activeUntil) input.activeUntil = d.activeUntil;
  return { input, deeperFilter: flags.deeper };
}

/**
 * Adds what a result card's action asks for to a rule: `pin` (the product at a position), `hide`
 * (the product), `boost` (the product's brand, weight 0.5). A product is pinned or hidden, not both.
 */
export function applyResultAction(rule, action) {
  const input = clone(rule);
  const actions = (input.actions = input.actions || {});
  const id = action.product.id;
  if (action.kind === 'pin') {
    actions.hide = (actions.hide || []).filter((x) => x !== id);
    const pins = (actions.pins || []).filter((p) => p.productId !== id);
    pins.push({ productId: id, position: action.position });
    actions.pins = pins.sort((a, b) => a.position - b.position);
  } else if (action.kind === 'hide') {
    actions.pins = (actions.pins || []).filter((p) => p.productId !== id);
    actions.hide = [...new Set([...(actions.hide || []), id])];
  } else if (action.kind === 'boost') {
    const brand = action.brand;
    const boosts = (actions.boosts || [])
      .map((b) => (b.attribute === 'brand' && b.weight !== 0.5 ? { ...b, values: b.values.filter((v) => v !== brand) } : b))
      .filter((b) => b.values.length > 0);
    const existing = boosts.find((b) => b.attribute === 'brand' && b.weight === 0.5);
    if (existing) existing.values = [...new Set([...existing.values, brand])];
    else boosts.push({ attribute: 'brand', values: [brand], weight: 0.5 });
    actions.boosts = boosts;
  }
  for (const key of ['pins', 'hide', 'boosts']) if (actions[key] && actions[key].length === 0) delete actions[key];
  return input;
}

/** Fields of a RuleInput the form has no input for, when set. */
function fieldsOutsideForm(input) {
  const c = input.conditions || {};
  const q = c.query || {};
  const a = input.actions || {};
  const out = [];
  if (q.matches) out.push('conditions.query.matches');
  if (q.attributes && q.attributes.length) out.push('conditions.query.attributes');
  if (c.modes && c.modes.length) out.push('conditions.modes');
  if (c.filters && c.filters.length) out.push('conditions.filters');
  if (a.replacements && a.replacements.length) out.push('actions.replacements');
  if (a.ignore && a.ignore.length) out.push('actions.ignore');
  if (a.filter) out.push('actions.filter');
  if (input.activeFrom) out.push('activeFrom');
  if (input.activeUntil) out.push('activeUntil');
  return out;
}

function setList(object, key, list) {
  if (list && list.length) object[key] = list;
  else delete object[key];
}

function badInput(message) {
  return new LabError([{ message, code: 'BAD_USER_INPUT', reason: 'LAB_FORM' }]);
}

/** The editor over the form and JSON elements of the rules page (ids rf-*, rule-json). */
export function createRuleEditor() {
  const $ = (id) => document.getElementById(id);
  const el = {
    form: $('rule-form'),
    jsonPane: $('rule-json-pane'),
    json: $('rule-json'),
    tabForm: $('tab-form'),
    tabJson: $('tab-json'),
    extra: $('rule-extra'),
    id: $('rf-id'),
    description: $('rf-description'),
    enabled: $('rf-enabled'),
    is: $('rf-query-is'),
    contains: $('rf-query-contains'),
    contexts: $('rf-contexts'),
    pins: $('rf-pins'),
    pinAdd: $('rf-pin-add'),
    hide: $('rf-hide'),
    boosts: $('rf-boosts'),
    boostAdd: $('rf-boost-add'),
    synonyms: $('rf-synonyms'),
    synonymAdd: $('rf-synonym-add'),
    redirectUrl: $('rf-redirect-url'),
    redirectKeep: $('rf-redirect-keep'),
  };
  let base = emptyRule();
  let mode = 'form';
  let deeperFilter = false;

  const removeButton = (label) =>
    h('button', { type: 'button', class: 'row-remove', 'aria-label': label, text: '×', onclick: (event) => event.currentTarget.closest('li').remove() });

  const pinRow = (pin = { productId: '', position: '' }) =>
    h(
      'li',
      { class: 'row pin-row' },
      h('input', { type: 'text', class: 'pin-product', 'aria-label': 'Pinned product id', placeholder: 'product id', value: pin.productId }),
      h('label', { class: 'inline-label' }, 'at', h('input', { type: 'number', class: 'pin-position', 'aria-label': 'Position', min: 1, step: 1, value: String(pin.position) })),
      removeButton('Remove pin'),
    );

  const boostRow = (boost = { attribute: 'brand', values: [], weight: 0.5 }) =>
    h(
      'li',
      { class: 'row boost-row' },
      h('input', { type: 'text', class: 'boost-attribute', 'aria-label': 'Attribute', list: 'rule-attributes', value: boost.attribute }),
      h('input', { type: 'text', class: 'boost-values', 'aria-label': 'Values, comma separated', placeholder: 'values, comma separated', value: boost.values.join(', ') }),
      h('input', { type: 'number', class: 'boost-weight', 'aria-label': 'Weight (-1 to 1)', min: -1, max: 1, step: 0.1, value: String(boost.weight) }),
      removeButton('Remove boost'),
    );

  const synonymRow = (synonym = { terms: [], oneWay: false }) =>
    h(
      'li',
      { class: 'row synonym-row' },
      h('input', { type: 'text', class: 'synonym-terms', 'aria-label': 'Terms, comma separated', placeholder: 'terms, comma separated', value: synonym.terms.join(', ') }),
      h('label', { class: 'inline-label' }, h('input', { type: 'checkbox', class: 'synonym-one-way', checked: synonym.oneWay }), 'one way'),
      removeButton('Remove synonyms'),
    );

  function fillForm(input) {
    const c = input.conditions || {};
    const q = c.query || {};
    const a = input.actions || {};
    el.id.value = input.id || '';
    el.description.value = input.description || '';
    el.enabled.checked = input.enabled !== false;
    el.is.value = (q.is || []).join('\n');
    el.contains.value = (q.contains || []).join('\n');
    el.contexts.value = (c.contexts || []).join(', ');
    el.pins.replaceChildren(...(a.pins || []).map(pinRow));
    el.hide.value = (a.hide || []).join('\n');
    el.boosts.replaceChildren(...(a.boosts || []).map(boostRow));
    el.synonyms.replaceChildren(...(a.synonyms || []).map(synonymRow));
    el.redirectUrl.value = a.redirect ? a.redirect.url : '';
    el.redirectKeep.checked = Boolean(a.redirect && a.redirect.keepResults);
  }

  function readForm() {
    const input = clone(base);
    input.id = el.id.value.trim();
    input.description = el.description.value.trim();
    input.enabled = el.enabled.checked;
    const conditions = input.conditions || {};
    const query = conditions.query || {};
    setList(query, 'is', lines(el.is.value));
    setList(query, 'contains', lines(el.contains.value));
    if (Object.keys(query).length) conditions.query = query;
    else delete conditions.query;
    setList(conditions, 'contexts', commaList(el.contexts.value));
    if (Object.keys(conditions).length) input.conditions = conditions;
    else delete input.conditions;

    const actions = input.actions || {};
    const pins = [];
    for (const row of el.pins.querySelectorAll('.pin-row')) {
      const productId = row.querySelector('.pin-product').value.trim();
      const raw = row.querySelector('.pin-position').value.trim();
      if (!productId && !raw) continue;
      const position = Number(raw);
      if (!productId) throw badInput(`a pin at position ${raw} names no product`);
      if (!Number.isInteger(position)) throw badInput(`the pin of ${productId} needs a whole position, got "${raw}"`);
      pins.push({ productId, position });
    }
    setList(actions, 'pins', pins);
    setList(actions, 'hide', idList(el.hide.value));
    const boosts = [];
    for (const row of el.boosts.querySelectorAll('.boost-row')) {
      const attribute = row.querySelector('.boost-attribute').value.trim();
      const values = commaList(row.querySelector('.boost-values').value);
      const raw = row.querySelector('.boost-weight').value.trim();
      if (!attribute && values.length === 0) continue;
      const weight = Number(raw);
      if (raw === '' || !Number.isFinite(weight)) throw badInput(`the boost of ${attribute} needs a weight from -1 to 1, got "${raw}"`);
      boosts.push({ attribute, values, weight });
    }
    setList(actions, 'boosts', boosts);
    const synonyms = [];
    for (const row of el.synonyms.querySelectorAll('.synonym-row')) {
      const terms = commaList(row.querySelector('.synonym-terms').value);
      if (terms.length) synonyms.push({ terms, oneWay: row.querySelector('.synonym-one-way').checked });
    }
    setList(actions, 'synonyms', synonyms);
    const url = el.redirectUrl.value.trim();
    if (url) actions.redirect = { url, keepResults: el.redirectKeep.checked };
    else delete actions.redirect;
    input.actions = actions;
    return input;
  }

  function readJson() {
    let input;
    try {
      input = JSON.parse(el.json.value);
    } catch (error) {
      throw new LabError([{ message: `The JSON editor holds no valid JSON: ${error.message}`, code: 'BAD_USER_INPUT', reason: 'BAD_JSON' }]);
    }
    if (!input || typeof input !== 'object' || Array.isArray(input)) {
      throw new LabError([{ message: 'The JSON editor must hold one RuleInput object, e.g. {"id": "...", "actions": {...}}.', code: 'BAD_USER_INPUT', reason: 'BAD_JSON' }]);
    }
    return input;
  }

  function renderExtra(input) {
    const outside = fieldsOutsideForm(input);
    const notes = [];
    if (outside.length) notes.push(`Also set, kept as they are (edit them in JSON): ${outside.join(', ')}.`);
    if (deeperFilter) notes.push('Its filter nests deeper than the lab reads: saving from the lab would drop the deepest levels.');
    el.extra.textContent = notes.join(' ');
    el.extra.hidden = notes.length === 0;
  }

  function show(next) {
    mode = next;
    el.form.hidden = mode !== 'form';
    el.jsonPane.hidden = mode !== 'json';
    el.tabForm.setAttribute('aria-pressed', String(mode === 'form'));
    el.tabJson.setAttribute('aria-pressed', String(mode === 'json'));
  }

  /** Switches between the form and the JSON editor, carrying the rule over. */
  function setMode(next) {
    if (next === mode) return;
    if (next === 'json') {
      const input = readForm();
      base = input;
      el.json.value = JSON.stringify(input, null, 2);
    } else {
      const input = readJson();
      base = input;
      fillForm(input);
      renderExtra(input);
    }
    show(next);
  }

  el.pinAdd.addEventListener('click', () => el.pins.append(pinRow()));
  el.boostAdd.addEventListener('click', () => el.boosts.append(boostRow()));
  el.synonymAdd.addEventListener('click', () => el.synonyms.append(synonymRow()));

  return {
    /** Loads a RuleInput into the form and the JSON editor, and shows the form (what was edited is dropped). */
    set(input, options = {}) {
      base = clone(input);
      deeperFilter = Boolean(options.deeperFilter);
      fillForm(base);
      el.json.value = JSON.stringify(base, null, 2);
      renderExtra(base);
      show('form');
    },
    /** The RuleInput being edited; throws a LabError for input the lab can tell is wrong. */
    read() {
      return mode === 'json' ? readJson() : readForm();
    },
    /** 'form' or 'json'; throws (and stays) when the JSON does not parse. */
    setMode,
  };
}
