// Feeds the VM store from one VirtWatchClient per connection, and pauses them while the page is hidden
// (cockpit.hidden: another page of the shell is shown, or the browser tab is in the background).

import { VirtWatchClient } from "../client/watch-client.ts";

import type { VmStore } from "./vm-store.ts";

/** Starts watching `uris`; returns the function that stops it. */
export function watchConnections(store: VmStore, uris: readonly string[]): () => void {
    store.setConnections(uris);
    const clients = uris.map(uri => {
        const client = new VirtWatchClient(uri);
        client.on("change", change => store.applyChange(uri, change));
        client.on("status", status => store.setStatus(uri, status));
        return client;
    });

    const follow = () => {
        for (const client of clients) {
            if (cockpit.hidden)
                client.stop();
            else
                client.start();
        }
    };
    cockpit.addEventListener("visibilitychange", follow);
    follow();

    return () => {
        cockpit.removeEventListener("visibilitychange", follow);
        for (const client of clients)
            client.stop();
    };
}
