// GraphiQL from the npm package (bundled into dist/ui by Vite), so it works on a network without a CDN.
// Queries over HTTP with the headers pane's headers; subscriptions over graphql-ws, whose connection_init
// carries the headers pane's Authorization (hrgate reads it there: see gateway/app.py on_ws_connect).
import { createGraphiQLFetcher, type Fetcher } from "@graphiql/toolkit";
import { GraphiQL } from "graphiql";
import "graphiql/graphiql.css";
import type { DocumentNode } from "graphql";
import { createClient } from "graphql-ws";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { graphqlUrl, websocketUrl } from "../shared/client";

const DEFAULT_QUERY = `# hrgate's graph. Every request needs a bearer token: put
#   {"Authorization": "Bearer <access_token>"}
# in the Headers pane below (README: "A first query" tells how to get one), then run this:
{
  requisitions(first: 5) {
    totalCount
    edges { node { id title status } }
  }
}
`;

const httpFetcher = createGraphiQLFetcher({ url: graphqlUrl(), enableIncrementalDelivery: false });

function isSubscription(document: DocumentNode | undefined, name: string | null | undefined): boolean {
  return (document?.definitions ?? []).some(
    (definition) =>
      definition.kind === "OperationDefinition" &&
      definition.operation === "subscription" &&
      (!name || definition.name?.value === name),
  );
}

const fetcher: Fetcher = (params, options) => {
  if (!isSubscription(options?.documentAST, params.operationName)) return httpFetcher(params, options);
  const headers = (options?.headers ?? {}) as Record<string, string>;
  const authorization = headers.Authorization ?? headers.authorization;
  const client = createClient({ url: websocketUrl(), connectionParams: authorization ? { authorization } : {} });
  const results = client.iterate({
    query: params.query,
    variables: params.variables ?? undefined,
    operationName: params.operationName ?? undefined,
  });
  // The wire carries formatted errors; the toolkit's type names graphql-js's ExecutionResult for the same JSON.
  return results as unknown as ReturnType<Fetcher>;
};

createRoot(document.getElementById("graphiql")!).render(
  <StrictMode>
    <GraphiQL
      fetcher={fetcher}
      defaultQuery={DEFAULT_QUERY}
      defaultEditorToolsVisibility="headers"
      shouldPersistHeaders={false}
    />
  </StrictMode>,
);
