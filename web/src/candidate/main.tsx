import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { Provider } from "urql";
import { createGraphQLClient } from "../shared/client";
import "../shared/styles.css";
import { App } from "./App";

// /interview/{token}: the token is the candidate's only credential (HTTP and the websocket's connection_init).
const token = decodeURIComponent(window.location.pathname.split("/")[2] ?? "");
const client = createGraphQLClient({ invitationToken: token });

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <Provider value={client}>
      <App token={token} />
    </Provider>
  </StrictMode>,
);
