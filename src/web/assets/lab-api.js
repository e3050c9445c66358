// Search lab, shared by its views: the GraphQL client, the API key, a DOM helper and error display.
// The operations live in src/web/operations/lab.graphql and arrive via /static/operations.json.

export const graphqlPath = document.body.dataset.graphqlPath || '/graphql';

// The key stays in this tab's sessionStorage: never in the URL, never in localStorage.
const KEY_STORAGE = 'search-lab.api-key';

export const apiKey = {
  get() {
    try {
      return sessionStorage.getItem(KEY_STORAGE) || '';
    } catch {
      return '';
    }
  },
  set(value) {
    try {
      if (value) sessionStorage.setItem(KEY_STORAGE, value);
      else sessionStorage.removeItem(KEY_STORAGE);
    } catch {
      // Storage refused (private mode): the key lasts until the page is left.
    }
  },
};

export class LabError extends Error {
  /** errors: [{ message, code, reason?, path? }] */
  constructor(errors) {
    super(errors.map((e) => e.message).join('; '));
    this.errors = errors;
  }
}

export function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key === 'value') node.value = value;
    else if (key === 'checked') node.checked = Boolean(value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

let operations = null;

async function loadDocument() {
  if (!operations) {
    operations = fetch('/static/operations.json', { headers: { Accept: 'application/json' } }).then(async (response) => {
      if (!response.ok) throw new LabError([{ message: `Could not load the lab operations (HTTP ${response.status}).`, code: 'LAB_ASSETS' }]);
      return (await response.json()).lab;
    });
    operations.catch(() => (operations = null));
  }
  return operations;
}

/**
 * Sends one named operation of the lab document. With `auth`, the API key goes along as
 * `Authorization: Bearer <key>` (rule operations); searches are sent without it.
 */
export async function graphql(operationName, variables, { auth = false } = {}) {
  const query = await loadDocument();
  const headers = { 'Content-Type': 'application/json', Accept: 'application/graphql-response+json, application/json' };
  if (auth) {
    const key = apiKey.get();
    if (!key) throw new LabError([{ message: 'Enter an API key with the merchandiser role (top right) to read and write rules.', code: 'UNAUTHENTICATED' }]);
    headers.Authorization = `Bearer ${key}`;
  }
  let response;
  try {
    response = await fetch(graphqlPath, { method: 'POST', headers, body: JSON.stringify({ query, operationName, variables }) });
  } catch (error) {
    throw new LabError([{ message: `Could not reach the server: ${error.message}`, code: 'NETWORK_ERROR' }]);
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new LabError([{ message: `The server answered HTTP ${response.status} without a GraphQL response.`, code: `HTTP_${response.status}` }]);
  }
  if (Array.isArray(body.errors) && body.errors.length > 0) {
    throw new LabError(
      body.errors.map((e) => {
        const extensions = e.extensions || {};
        return {
          message: e.message || 'Unknown error',
          code: extensions.code || 'ERROR',
          reason: typeof extensions.reason === 'string' ? extensions.reason : null,
          path: Array.isArray(e.path) ? e.path.join('.') : null,
        };
      }),
    );
  }
  if (!body.data) throw new LabError([{ message: `The server answered HTTP ${response.status} without data.`, code: `HTTP_${response.status}` }]);
  return body.data;
}

/** Shows an error (a LabError's GraphQL errors with code and reason) in a container. */
export function showErrorIn(container, error) {
  const errors = error instanceof LabError ? error.errors : [{ message: (error && error.message) || String(error), code: 'CLIENT_ERROR' }];
  container.replaceChildren(
    h(
      'ul',
      {},
      errors.map((e) =>
        h(
          'li',
          { class: 'error-item' },
          h('span', { class: 'error-code', text: e.code }),
          e.reason ? h('span', { class: 'error-reason', text: e.reason }) : null,
          h('span', { class: 'error-message', text: e.message }),
        ),
      ),
    ),
  );
  container.hidden = false;
}

export function clearErrorIn(container) {
  container.hidden = true;
  container.replaceChildren();
}

export function formatDate(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}
