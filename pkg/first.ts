// The page's first script, inline in index.html before cockpit.js (build.mjs puts it there; the manifest's
// content-security-policy allows it by its hash): in the shell's frame cockpit.js, boot.js and index.js arrive
// ~100 ms after the document and run only when the renderer thread the shell and its preloaded pages share has
// room, so the early channels are opened here, on a socket of the page's own, while they load. Elsewhere, or if
// this script does not run at all, boot.js opens them through cockpit.js.

import { openEarlyChannels } from "./client/transport/early-open.ts";
import { ownSocketUsable } from "./client/transport/own-socket.ts";

performance.mark("virt:first");
try {
    if (ownSocketUsable())
        openEarlyChannels();
} catch (ex) {
    // boot.js opens whatever is missing
    console.warn("virt: early channels:", ex);
}
