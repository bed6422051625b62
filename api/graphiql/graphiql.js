// GraphiQL for huitong: every request needs a bearer token, so the token of /graphql#token=…
// (or the one this tab already holds from /review or /explore) goes into the headers editor,
// and the address bar is cleared of it. #query=… fills the query editor (a shared example).
"use strict";

(() => {
  const KEY = "huitong.token";
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get("token")) sessionStorage.setItem(KEY, fragment.get("token"));
  if (location.hash) history.replaceState(null, "", location.pathname + location.search);
  const token = sessionStorage.getItem(KEY);
  const headers = JSON.stringify(
    { Authorization: `Bearer ${token || "<huitong token create --role admin>"}` }, null, 2);
  const query = fragment.get("query") || `# 汇通 GraphiQL — Ctrl-Enter runs the query;
# your token is in the Authorization header (Headers, below).
{
  me {
    subject
    role
    department
    district
    identifiersVisible
  }
}
`;
  const fetcher = GraphiQL.createFetcher({ url: "/graphql" });
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, {
      fetcher,
      defaultQuery: query,
      query,
      headers,
      defaultEditorToolsVisibility: "headers",
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
      inputValueDeprecation: true,
    }),
  );
})();
