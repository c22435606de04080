// Entry point: styles, theme, the watch channels, and the React root.

// PatternFly's base (tokens, fonts, reset); each component brings its own CSS along with its
// JavaScript (@patternfly/react-styles), so the full patternfly.css is not needed.
import "@patternfly/patternfly/patternfly-base.css";

import { createRoot } from "react-dom/client";

import { App } from "./app.tsx";
import { connectionUris } from "./connections.ts";
import { watchConnections } from "./store/feed.ts";
import { watchResources } from "./store/resource-store.ts";
import { vmStore } from "./store/vm-store.ts";
import { markOnce } from "./marks.ts";
import { followShellTheme } from "./theme.ts";

// Last, so that it comes after the components' CSS in the bundle and its overrides win.
import "./page.css";

markOnce("virt:main"); // every module of the first script is evaluated
followShellTheme();

connectionUris()
    .then(uris => {
        watchConnections(vmStore, uris);
        watchResources(uris);
    })
    .catch((ex: unknown) => {
        console.error("virt: cannot tell which libvirt connections to watch", ex);
        watchConnections(vmStore, ["qemu:///system", "qemu:///session"]);
        watchResources(["qemu:///system", "qemu:///session"]);
    });

const container = document.getElementById("app");
if (container)
    createRoot(container).render(<App />);
