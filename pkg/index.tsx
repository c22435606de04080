// Entry point: styles, theme, the watch channels, and the React root.

import "@patternfly/patternfly/patternfly.css";
import "@patternfly/patternfly/patternfly-addons.css";
import "./page.css";

import { createRoot } from "react-dom/client";

import { App } from "./app.tsx";
import { connectionUris } from "./connections.ts";
import { watchConnections } from "./store/feed.ts";
import { vmStore } from "./store/vm-store.ts";
import { followShellTheme } from "./theme.ts";

followShellTheme();

connectionUris()
    .then(uris => watchConnections(vmStore, uris))
    .catch((ex: unknown) => {
        console.error("virt: cannot tell which libvirt connections to watch", ex);
        watchConnections(vmStore, ["qemu:///system", "qemu:///session"]);
    });

const container = document.getElementById("app");
if (container)
    createRoot(container).render(<App />);
