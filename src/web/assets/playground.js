/* GraphiQL, rendered from the vendored UMD bundles, opened on the example operations. */
(function () {
  'use strict';
  var container = document.getElementById('graphiql');
  var graphqlPath = document.body.getAttribute('data-graphql-path') || '/graphql';

  function showError(message) {
    container.textContent = '';
    var p = document.createElement('p');
    p.className = 'playground-error';
    p.textContent = message;
    container.appendChild(p);
  }

  if (!window.React || !window.ReactDOM || !window.GraphiQL) {
    showError('The playground bundles did not load; check that /vendor/ is reachable.');
    return;
  }

  fetch('/static/operations.json', { headers: { Accept: 'application/json' } })
    .then(function (response) {
      if (!response.ok) throw new Error('Example operations: HTTP ' + response.status);
      return response.json();
    })
    .catch(function (error) {
      console.warn(error);
      return { playground: [] };
    })
    .then(function (operations) {
      var tabs = operations.playground.map(function (tab) {
        return { query: tab.query, variables: tab.variables };
      });
      var fetcher = window.GraphiQL.createFetcher({ url: new URL(graphqlPath, window.location.href).toString() });
      var props = { fetcher: fetcher, defaultEditorToolsVisibility: true, shouldPersistHeaders: false };
      if (tabs.length > 0) {
        // The editors open on the first tab; GraphiQL takes their initial content from query/variables.
        props.defaultTabs = tabs;
        props.query = tabs[0].query;
        props.variables = tabs[0].variables;
      }
      container.textContent = '';
      window.ReactDOM.createRoot(container).render(window.React.createElement(window.GraphiQL, props));
    });
})();
