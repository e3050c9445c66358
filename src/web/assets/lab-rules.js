// Rules page of the search lab (/lab/rules): the rule book's drafts with their status, an editor,
// previews, saving and deleting drafts (with the revision read, so another merchandiser's change
// is not overwritten), publishing (with the release read), releases with rollback, and the audit
// trail. Every operation here carries the API key (merchandiser role).

import { clearErrorIn, formatDate, graphql, h, showErrorIn } from './lab-api.js';
import { applyResultAction, createRuleEditor, definitionToInput, deriveRuleId, emptyRule } from './lab-rule-editor.js';
import { renderPreview } from './lab-rule-preview.js';

const STATUS_TITLES = {
  DRAFT: 'never published',
  PUBLISHED: 'the draft is live',
  MODIFIED: 'live, and the draft differs',
  DELETED: 'deleted in the draft, live until the next release',
};

const statusBadge = (status) => h('span', { class: `status status-${status.toLowerCase()}`, title: STATUS_TITLES[status] || '', text: status });

export function createRulesView() {
  const $ = (id) => document.getElementById(id);
  const el = {
    root: $('rules-view'),
    listError: $('rules-error'),
    statusFilter: $('rules-status'),
    reload: $('rules-reload'),
    newRule: $('rule-new'),
    body: $('rules-body'),
    empty: $('rules-empty'),
    publishForm: $('publish-form'),
    publishSummary: $('publish-summary'),
    publishNote: $('publish-note'),
    publishButton: $('publish-button'),
    releases: $('releases'),
    title: $('editor-title'),
    status: $('editor-status'),
    meta: $('editor-meta'),
    live: $('editor-live'),
    origin: $('editor-origin'),
    tabForm: $('tab-form'),
    tabJson: $('tab-json'),
    error: $('rule-error'),
    notice: $('rule-notice'),
    previewButton: $('rule-preview-button'),
    save: $('rule-save'),
    remove: $('rule-delete'),
    pvQueries: $('pv-queries'),
    pvContext: $('pv-context'),
    pvDepth: $('pv-depth'),
    preview: $('preview'),
    previewBody: $('preview-body'),
    auditTitle: $('audit-title'),
    audit: $('audit-list'),
  };
  const editor = createRuleEditor();
  const state = {
    rules: [],
    releases: [],
    /** The saved rule the editor was loaded from (null: a new rule). */
    loadedId: null,
    /** The revision a save must find (0: the id must be free). */
    expectedRevision: 0,
    loading: null,
    busy: false,
  };

  // ---- rule book ------------------------------------------------------------------------

  function refresh() {
    state.loading = (async () => {
      el.root.setAttribute('aria-busy', 'true');
      try {
        const data = await graphql('LabRuleBook', {}, { auth: true });
        state.rules = data.rules;
        state.releases = data.ruleReleases;
        clearErrorIn(el.listError);
      } catch (error) {
        state.rules = [];
        state.releases = [];
        showErrorIn(el.listError, error);
      } finally {
        el.root.removeAttribute('aria-busy');
      }
      renderList();
      renderReleases();
      renderPublish();
      renderHeader();
    })();
    return state.loading;
  }

  const liveRelease = () => (state.releases.length ? state.releases[0] : null);
  const findRule = (id) => state.rules.find((r) => r.id === id) || null;

  function renderList() {
    const wanted = el.statusFilter.value;
    const rules = state.rules.filter((r) => !wanted || r.status === wanted);
    el.body.replaceChildren(
      ...rules.map((rule) =>
        h(
          'tr',
          { class: rule.id === state.loadedId ? 'selected' : null, dataset: { ruleId: rule.id, status: rule.status } },
          h(
            'td',
            {},
            h('button', { type: 'button', class: 'link rule-open', text: rule.id, onclick: () => selectRule(rule) }),
            rule.description ? h('div', { class: 'rule-description', text: rule.description }) : null,
            rule.enabled ? null : h('div', { class: 'muted', text: 'disabled' }),
          ),
          h('td', {}, statusBadge(rule.status)),
          h('td', { class: 'num rule-revision', text: `r${rule.revision}` }),
          h('td', { class: 'rule-updated' }, h('div', { text: rule.updatedBy }), h('div', { class: 'muted', text: formatDate(rule.updatedAt) })),
        ),
      ),
    );
    el.empty.hidden = rules.length > 0 || !el.listError.hidden;
    el.empty.textContent = state.rules.length ? 'No rule has this status.' : 'No rules yet: create one here or from a search result.';
  }

  function renderPublish() {
    const pending = state.rules.filter((r) => r.status !== 'PUBLISHED');
    const live = liveRelease();
    const where = live ? `Live: release ${live.version} (${live.ruleCount} ${live.ruleCount === 1 ? 'rule' : 'rules'}).` : 'Nothing published yet.';
    el.publishSummary.textContent = pending.length
      ? `${where} Waiting for the next release: ${pending.map((r) => `${r.id} (${r.status.toLowerCase()})`).join(', ')}.`
      : `${where} ${live ? 'The drafts are what is live.' : 'No drafts to publish.'}`;
    el.publishButton.disabled = pending.length === 0 || !el.listError.hidden;
  }

  function renderReleases() {
    const live = liveRelease();
    el.releases.replaceChildren(
      ...state.releases.map((release) => {
        const item = h(
          'li',
          { class: 'release', dataset: { version: String(release.version) } },
          h(
            'div',
            { class: 'release-head' },
            h('strong', { text: `Release ${release.version}` }),
            release === live ? h('span', { class: 'status status-published', text: 'LIVE' }) : null,
            h('span', { class: 'muted', text: ` ${formatDate(release.publishedAt)} · ${release.publishedBy}` }),
          ),
          h(
            'div',
            { class: 'release-body' },
            `${release.ruleCount} ${release.ruleCount === 1 ? 'rule' : 'rules'}`,
            release.rules.length ? `: ${release.rules.map((r) => r.id).join(', ')}` : '',
            release.restoredFrom != null ? h('span', { class: 'muted', text: ` · restores release ${release.restoredFrom}` }) : null,
          ),
          release.note ? h('div', { class: 'release-note', text: release.note }) : null,
        );
        if (release !== live) {
          const confirm = h(
            'div',
            { class: 'rollback-confirm', hidden: true },
            h('input', { type: 'text', class: 'rollback-note', 'aria-label': 'Note for the rollback', placeholder: 'why (optional)' }),
            h('button', { type: 'button', class: 'danger rollback-go', text: `Roll back to release ${release.version}`, onclick: () => rollback(release.version, confirm.querySelector('.rollback-note').value) }),
            h('button', { type: 'button', class: 'link', text: 'Cancel', onclick: () => (confirm.hidden = true) }),
          );
          item.append(
            h('button', { type: 'button', class: 'release-rollback', text: 'Roll back to this', onclick: () => { confirm.hidden = false; confirm.querySelector('.rollback-note').focus(); } }),
            confirm,
          );
        }
        return item;
      }),
    );
  }

  // ---- editor ---------------------------------------------------------------------------

  function renderHeader() {
    const rule = state.loadedId ? findRule(state.loadedId) : null;
    el.title.textContent = state.loadedId ? `Rule ${state.loadedId}` : 'New rule';
    el.status.replaceChildren(rule ? statusBadge(rule.status) : h('span', { class: 'status status-unsaved', text: 'NOT SAVED' }));
    el.meta.textContent = rule
      ? `revision ${rule.revision} · changed by ${rule.updatedBy}, ${formatDate(rule.updatedAt)}${rule.liveVersion != null ? ` · live in release ${rule.liveVersion}` : ''}`
      : '';
    if (rule && rule.live) {
      el.live.replaceChildren(
        h('summary', { text: `Live version (release ${rule.liveVersion}) differs from this draft` }),
        h('pre', { class: 'json', text: JSON.stringify(definitionToInput(rule.live).input, null, 2) }),
      );
      el.live.hidden = false;
    } else {
      el.live.hidden = true;
      el.live.replaceChildren();
    }
    el.remove.disabled = !rule || rule.status === 'DELETED';
    for (const row of el.body.querySelectorAll('tr')) row.classList.toggle('selected', row.dataset.ruleId === state.loadedId);
  }

  function load(input, { loadedId, expectedRevision, deeperFilter = false, origin = '' }) {
    editor.set(input, { deeperFilter });
    state.loadedId = loadedId;
    state.expectedRevision = expectedRevision;
    el.origin.textContent = origin;
    el.origin.hidden = !origin;
    clearErrorIn(el.error);
    el.notice.hidden = true;
    el.preview.hidden = true;
    el.previewBody.replaceChildren();
    renderHeader();
    loadAudit();
  }

  function selectRule(rule, origin = '') {
    const { input, deeperFilter } = definitionToInput(rule);
    load(input, { loadedId: rule.id, expectedRevision: rule.status === 'DELETED' ? 0 : rule.revision, deeperFilter, origin });
    const queries = (rule.conditions.query && rule.conditions.query.is) || [];
    el.pvQueries.value = queries.join('\n');
    el.pvContext.value = (rule.conditions.contexts || [])[0] || '';
  }

  function newRule() {
    load(emptyRule(), { loadedId: null, expectedRevision: 0 });
    el.pvQueries.value = '';
    el.pvContext.value = '';
  }

  function notify(message) {
    el.notice.textContent = message;
    el.notice.hidden = false;
  }

  /** Runs one editor action with the buttons disabled and errors shown by the editor. */
  async function act(work) {
    if (state.busy) return;
    state.busy = true;
    const buttons = [el.previewButton, el.save, el.remove, el.publishButton];
    const wasDisabled = buttons.map((b) => b.disabled);
    buttons.forEach((b) => (b.disabled = true));
    clearErrorIn(el.error);
    el.notice.hidden = true;
    try {
      await work();
    } catch (error) {
      showErrorIn(el.error, error);
    } finally {
      state.busy = false;
      buttons.forEach((b, i) => (b.disabled = wasDisabled[i]));
      renderHeader();
      renderPublish();
    }
  }

  function previewRule() {
    return act(async () => {
      const rule = editor.read();
      const queries = el.pvQueries.value.split('\n').map((s) => s.trim()).filter(Boolean);
      const context = el.pvContext.value.trim();
      const depth = Number(el.pvDepth.value) || undefined;
      el.preview.hidden = false;
      el.preview.setAttribute('aria-busy', 'true');
      el.previewBody.replaceChildren(h('p', { class: 'muted', text: 'Running the searches before and after…' }));
      try {
        const data = await graphql('LabPreviewRule', { rule, queries: queries.length ? queries : null, context: context || null, depth }, { auth: true });
        await renderPreview(el.previewBody, data.previewRule, { onError: (error) => showErrorIn(el.error, error) });
      } catch (error) {
        el.preview.hidden = true;
        throw error;
      } finally {
        el.preview.removeAttribute('aria-busy');
      }
    });
  }

  function saveRule() {
    return act(async () => {
      const rule = editor.read();
      const expectedRevision = rule.id === state.loadedId ? state.expectedRevision : 0;
      const data = await graphql('LabUpsertRule', { rule, expectedRevision }, { auth: true });
      const saved = data.upsertRule;
      await refresh();
      selectRule(findRule(saved.id) || saved);
      notify(`Saved the draft of ${saved.id}, revision ${saved.revision}. Publish to make it live.`);
    });
  }

  function deleteRule() {
    return act(async () => {
      if (!state.loadedId) return;
      const data = await graphql('LabDeleteRule', { id: state.loadedId, expectedRevision: state.expectedRevision }, { auth: true });
      await refresh();
      const still = findRule(data.deleteRule.id);
      if (still) selectRule(still);
      else newRule();
      notify(still ? `Deleted ${data.deleteRule.id} in the draft: it stays live until the next release.` : `Deleted ${data.deleteRule.id}.`);
    });
  }

  function publish() {
    return act(async () => {
      const live = liveRelease();
      const data = await graphql('LabPublishRules', { note: el.publishNote.value.trim() || null, expectedRelease: live ? live.version : 0 }, { auth: true });
      el.publishNote.value = '';
      await refresh();
      if (state.loadedId && !findRule(state.loadedId)) newRule();
      else loadAudit();
      const release = data.publishRules;
      notify(`Published release ${release.version} with ${release.ruleCount} ${release.ruleCount === 1 ? 'rule' : 'rules'}.`);
    });
  }

  function rollback(version, note) {
    return act(async () => {
      const data = await graphql('LabRollbackRules', { version, note: note.trim() || null }, { auth: true });
      await refresh();
      // The drafts are reset to the restored rules: reload the editor from them.
      const rule = state.loadedId ? findRule(state.loadedId) : null;
      if (rule) selectRule(rule);
      else if (state.loadedId) newRule();
      else loadAudit();
      const release = data.rollbackRules;
      notify(`Rolled back: release ${release.version} restores release ${version} (${release.ruleCount} ${release.ruleCount === 1 ? 'rule' : 'rules'}).`);
    });
  }

  // ---- audit ----------------------------------------------------------------------------

  let auditSequence = 0;
  async function loadAudit() {
    const ruleId = state.loadedId;
    const sequence = ++auditSequence;
    el.auditTitle.textContent = ruleId ? `Audit trail of ${ruleId}` : 'Recent changes of the rule book';
    try {
      const data = await graphql('LabRuleAudit', { ruleId, first: 50 }, { auth: true });
      if (sequence !== auditSequence) return;
      el.audit.replaceChildren(...data.ruleAudit.map(auditEntry));
      if (data.ruleAudit.length === 0) el.audit.append(h('li', { class: 'muted', text: 'No changes yet.' }));
    } catch (error) {
      if (sequence !== auditSequence) return;
      el.audit.replaceChildren(h('li', { class: 'muted', text: `The audit trail could not be read: ${error.message}` }));
    }
  }

  function auditEntry(entry) {
    const json = (d) => (d ? JSON.stringify(definitionToInput(d).input, null, 2) : '(none)');
    const what = [entry.ruleId ? `rule ${entry.ruleId}` : null, entry.releaseVersion != null ? `release ${entry.releaseVersion}` : null].filter(Boolean).join(' · ');
    return h(
      'li',
      { class: 'audit-entry', dataset: { action: entry.action } },
      h(
        'div',
        {},
        h('span', { class: `audit-action action-${entry.action.toLowerCase()}`, text: entry.action }),
        ` ${what} `,
        h('span', { class: 'muted', text: `by ${entry.actor}, ${formatDate(entry.at)}` }),
      ),
      entry.note ? h('div', { class: 'audit-note', text: entry.note }) : null,
      entry.before || entry.after
        ? h(
            'details',
            {},
            h('summary', { text: 'Before and after' }),
            h('div', { class: 'side-by-side' }, h('pre', { class: 'json', text: json(entry.before) }), h('pre', { class: 'json', text: json(entry.after) })),
          )
        : null,
    );
  }

  // ---- events ---------------------------------------------------------------------------

  el.statusFilter.addEventListener('change', renderList);
  el.reload.addEventListener('click', () => refresh().then(loadAudit));
  el.newRule.addEventListener('click', newRule);
  el.previewButton.addEventListener('click', previewRule);
  el.save.addEventListener('click', saveRule);
  el.remove.addEventListener('click', deleteRule);
  el.publishForm.addEventListener('submit', (event) => {
    event.preventDefault();
    publish();
  });
  for (const [tab, mode] of [
    [el.tabForm, 'form'],
    [el.tabJson, 'json'],
  ]) {
    tab.addEventListener('click', () => {
      try {
        editor.setMode(mode);
        clearErrorIn(el.error);
      } catch (error) {
        showErrorIn(el.error, error);
      }
    });
  }

  newRule();

  return {
    /** The page was opened: read the rule book again. */
    activate() {
      return refresh().then(loadAudit);
    },
    /** Opens a saved rule (e.g. one named in a search's fired rules). */
    async openRule(id) {
      await refresh();
      const rule = findRule(id);
      if (rule) selectRule(rule);
      else showErrorIn(el.error, new Error(`No rule "${id}" in the drafts (it may have been deleted).`));
    },
    /**
     * Opens the editor on a rule for the searched text made from a result card's action: the saved
     * rule of that id with the action added, or a new one. Nothing is saved.
     * action: { kind: 'pin' | 'hide' | 'boost', product, position, brand, text, context }
     */
    async draftFromResult(action) {
      await refresh();
      const id = deriveRuleId(action.text, action.context);
      const existing = findRule(id);
      let base;
      let deeperFilter = false;
      if (existing && existing.status !== 'DELETED') {
        ({ input: base, deeperFilter } = definitionToInput(existing));
      } else {
        base = { id, description: `Merchandising for “${action.text}”${action.context ? ` in ${action.context}` : ''}`, enabled: true, conditions: { query: { is: [action.text] } }, actions: {} };
        if (action.context) base.conditions.contexts = [action.context];
      }
      const input = applyResultAction(base, action);
      const what =
        action.kind === 'pin'
          ? `Pin ${action.product.id} at position ${action.position}`
          : action.kind === 'hide'
            ? `Hide ${action.product.id}`
            : `Boost the brand ${action.brand} (weight 0.5)`;
      const origin = `${what} for “${action.text}”${action.context ? ` in context ${action.context}` : ''}: ${existing && existing.status !== 'DELETED' ? `added to the saved rule ${id}` : 'a new rule'}, not saved yet. Edit it, preview it, then save the draft.`;
      load(input, {
        loadedId: existing ? id : null,
        expectedRevision: existing && existing.status !== 'DELETED' ? existing.revision : 0,
        deeperFilter,
        origin,
      });
      el.pvQueries.value = action.text;
      el.pvContext.value = action.context || '';
    },
  };
}
