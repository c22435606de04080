// The page's script right after cockpit.js (dist/boot.js), before the main script (index.js, a module script, runs
// once the document is parsed): opens the list's early channels unless the first script (pkg/first.ts) has, and
// asks for the shell's Administrative access. Kept tiny: it runs before anything is on screen.

import { askPrivilegeEarly } from "./client/transport/early-privilege.ts";
import { openEarlyChannels } from "./client/transport/early-open.ts";

function openEarly(): void {
    performance.mark("virt:boot");
    // When the shell has handed this frame its transport.
    cockpit.transport.wait(() => performance.mark("virt:transport"));
    // What the store waits for before its first channels: the shell's Administrative access (and the user).
    askPrivilegeEarly();
    if (!window.virtEarlyOpened)
        openEarlyChannels();
}

// Whatever goes wrong early, the page itself still starts.
try {
    openEarly();
} catch (ex) {
    console.warn("virt: early channels:", ex);
}
