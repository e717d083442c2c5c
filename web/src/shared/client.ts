// One urql client per page: queries and mutations over HTTP (JSON POST to /graphql), subscriptions over
// graphql-ws (graphql-transport-ws) on the same origin. `connectionParams` carries the credential:
// a candidate's invitation token, or an HR bearer token.
import { Client, fetchExchange, subscriptionExchange } from "@urql/core";
import { createClient as createWsClient } from "graphql-ws";

export function graphqlUrl(): string {
  return `${window.location.origin}/graphql`;
}

export function websocketUrl(): string {
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${window.location.host}/graphql`;
}

export function createGraphQLClient(connectionParams: Record<string, string>): Client {
  const ws = createWsClient({
    url: websocketUrl(),
    connectionParams,
    lazy: true,
    retryAttempts: Infinity,
    shouldRetry: () => true,
    retryWait: async (retries) => {
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000 * 2 ** retries, 10_000)));
    },
  });
  return new Client({
    url: graphqlUrl(),
    requestPolicy: "network-only",
    preferGetMethod: false,
    exchanges: [
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || "" };
          return {
            subscribe(sink) {
              const unsubscribe = ws.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });
}
