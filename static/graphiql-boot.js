// GraphiQL boot (served by medic at /static/graphiql-boot.js, before the GraphiQL bundle):
// Monaco's workers come from medic itself, and GraphiQL keeps its state (tabs, headers such as
// Authorization) in this tab's sessionStorage, never in localStorage.
const WORKERS = {
  editorWorkerService: '/static/graphiql/editor.worker.js',
  json: '/static/graphiql/json.worker.js',
  graphql: '/static/graphiql/graphql.worker.js',
};

self.MonacoEnvironment = {
  globalAPI: false,
  getWorkerUrl: (_moduleId, label) => WORKERS[label] ?? WORKERS.editorWorkerService,
};

document.addEventListener('DOMContentLoaded', () => {
  const options = JSON.parse(document.getElementById('graphiql-options').textContent);
  options.storage = window.sessionStorage;
  options.shouldPersistHeaders = true;
  window.YogaGraphiQL.renderYogaGraphiQL(document.getElementById('root'), options);
});
