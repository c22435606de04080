// The page's script right after cockpit.js (dist/boot.js): opens the list's early channels unless the first script
// (pkg/first.ts) has, asks for the shell's Administrative access, then starts the main script (main-script.ts).
// Kept tiny: it runs before anything is on screen.

import { askPrivilegeEarly } from "./client/transport/early-privilege.ts";
import { openEarlyChannels } from "./client/transport/early-open.ts";
import { earlyOpensSent } from "./client/transport/own-socket.ts";
import { startMainScript } from "./main-script.ts";

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
} finally {
    startMainScript(earlyOpensSent());
}
