// Entry point: styles, theme, the watch channels, and the React root.

// PatternFly's base (tokens, fonts, reset); each component brings its own CSS along with its
// JavaScript (@patternfly/react-styles), so the full patternfly.css is not needed.
import "@patternfly/patternfly/patternfly-base.css";

import { flushSync } from "react-dom";
import { createRoot } from "react-dom/client";

import { App } from "./app.tsx";
import { firstConnectionUris, moreConnectionUris } from "./connections.ts";
import { releaseEarlyWatchesOnceStarted, watchAnotherConnection, watchConnections } from "./store/feed.ts";
import { watchMoreResources, watchResources } from "./store/resource-store.ts";
import { vmStore } from "./store/vm-store.ts";
import { markOnce } from "./marks.ts";
import { followShellTheme } from "./theme.ts";

// Last, so that it comes after the components' CSS in the bundle and its overrides win.
import "./page.css";

markOnce("virt:main"); // every module of the first script is evaluated
followShellTheme();

// The local connections start at once; the saved hosts join as soon as their list is known (boot.ts asked for it
// before this script was even fetched). Waiting for that list first would hold every local row back with it.
async function startWatching(): Promise<void> {
    const first = await firstConnectionUris();
    watchConnections(vmStore, first.uris);
    watchResources(first.uris);
    const more = first.more ? await moreConnectionUris(first.uris) : [];
    for (const uri of more)
        watchAnotherConnection(vmStore, uri);
    watchMoreResources(more);
}

startWatching()
    .catch((ex: unknown) => {
        console.error("virt: cannot tell which libvirt connections to watch", ex);
        watchConnections(vmStore, ["qemu:///system", "qemu:///session"]);
        watchResources(["qemu:///system", "qemu:///session"]);
    })
    .finally(releaseEarlyWatchesOnceStarted);

// Rendered in this task rather than in one React would post: on the thread the shell and its preloaded pages share,
// a posted task waits behind theirs. The early watches' data, taken in this task's microtasks, re-renders it there.
const container = document.getElementById("app");
if (container) {
    const root = createRoot(container);
    flushSync(() => root.render(<App />));
}
