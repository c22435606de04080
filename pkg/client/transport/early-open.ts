// The channels the list needs first, opened before the main script is evaluated (early-watch.ts, early-user.ts):
// by the page's first script (pkg/first.ts, inline in index.html, before cockpit.js) where the page has a socket of
// its own, else by boot.js right after cockpit.js. Uses nothing of cockpit.js (it may not have run yet).

import { SYSTEM_URI, overrideUris, urisFor } from "../../connection-uris.ts";

import { askUserEarly } from "./early-user.ts";
import { openEarlyWatches, openSavedConnectionWatches } from "./early-watch.ts";
import { forcedStream } from "./stream-override.ts";

declare global {
    interface Window {
        /** The early channels are open (first.js or boot.js, separate bundles). */
        virtEarlyOpened?: boolean;
    }
}

export function openEarlyChannels(): void {
    window.virtEarlyOpened = true;
    performance.mark("virt:early-open");
    // What the store waits for before its first channels: the user.
    askUserEarly();

    // A hidden page starts no watch (store/follow.ts); the test transport opens them elsewhere.
    if (document.hidden || forcedStream())
        return;
    const override = overrideUris();
    if (override) {
        openEarlyWatches(override);
    } else {
        // Every user watches the system connection; the others once the user is known, then the saved hosts.
        openEarlyWatches([SYSTEM_URI]);
        window.virtEarlyUser?.then(user => openEarlyWatches(urisFor(user)), () => undefined);
        openSavedConnectionWatches();
    }
}
