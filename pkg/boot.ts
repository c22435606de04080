// The page's first script (dist/boot.js, a classic script right after cockpit.js): opens the list's watch channels
// before the main script is evaluated, so the helper's work overlaps the page's own start-up
// (client/transport/early-watch.ts), then starts the main script (main-script.ts). Kept tiny: it runs before
// anything is on screen.

import { askPrivilegeEarly } from "./client/transport/early-privilege.ts";
import { askUserEarly, currentUser } from "./client/transport/early-user.ts";
import { openEarlyWatches, openSavedConnectionWatches } from "./client/transport/early-watch.ts";
import { earlyOpensSent } from "./client/transport/own-socket.ts";
import { forcedStream } from "./client/transport/stream-override.ts";
import { SYSTEM_URI, overrideUris, urisFor } from "./connections.ts";
import { startMainScript } from "./main-script.ts";

function openEarly(): void {
    performance.mark("virt:boot");
    // When the shell has handed this frame its transport.
    cockpit.transport.wait(() => performance.mark("virt:transport"));

    // What the store waits for before its first channels: the user and the shell's Administrative access.
    askPrivilegeEarly();
    askUserEarly();

    // A hidden page starts no watch (store/follow.ts); the test transport opens them elsewhere.
    if (cockpit.hidden || forcedStream())
        return;
    const override = overrideUris();
    if (override) {
        openEarlyWatches(override);
    } else {
        // Every user watches the system connection; the others once the user is known, then the saved hosts.
        openEarlyWatches([SYSTEM_URI]);
        currentUser().then(user => openEarlyWatches(urisFor(user)), () => undefined);
        openSavedConnectionWatches();
    }
}

// Whatever goes wrong early, the page itself still starts.
try {
    openEarly();
} finally {
    startMainScript(earlyOpensSent());
}
