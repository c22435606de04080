// Feeds the VM store and the usage store from one VirtWatchClient per connection, and pauses them while the page
// is hidden (cockpit.hidden: another page of the shell is shown, or the browser tab is in the background); the
// helper polls usage only while some channel asks for it. When Administrative access is turned on or off, the
// system connection's watch starts over on the other transport (client/transport/channels.ts).

import { releaseEarlyWatches } from "../client/transport/early-watch.ts";
import { VirtWatchClient } from "../client/watch-client.ts";

import { followClients } from "./follow.ts";
import { usageStore } from "./usage-store.ts";
import type { VmStore } from "./vm-store.ts";

/** How to stop following each watched connection (one may be forgotten alone: a host removed). */
const following = new Map<string, () => void>();

/** Starts watching `uris`; returns the function that stops it. */
export function watchConnections(store: VmStore, uris: readonly string[]): () => void {
    store.setConnections(uris);
    for (const uri of uris)
        following.set(uri, followClients([feedClient(store, uri)]));
    return () => {
        for (const uri of uris)
            forgetConnection(store, uri);
    };
}

/** Starts watching one more connection (a host just added), beside those watched already. */
export function watchAnotherConnection(store: VmStore, uri: string): () => void {
    if (store.getConnections().some(c => c.uri === uri))
        return () => {};
    store.setConnections([...store.getConnections().map(c => c.uri), uri]);
    following.set(uri, followClients([feedClient(store, uri)]));
    return () => forgetConnection(store, uri);
}

/**
 * Closes the early channels (client/transport/early-open.ts) that no watch started so far has taken. Every watch starts once the
 * transport is ready, in the order they were asked for, so this runs after the last one asked for before it.
 */
export function releaseEarlyWatchesOnceStarted(): void {
    followClients([], releaseEarlyWatches);
}

/** Stops watching `uri` (a host removed): its channel closes, its rows and usage leave the stores. */
export function forgetConnection(store: VmStore, uri: string): void {
    following.get(uri)?.();
    following.delete(uri);
    store.forgetConnection(uri);
    usageStore.forgetConnection(uri);
}

function feedClient(store: VmStore, uri: string): VirtWatchClient {
    const client = new VirtWatchClient(uri);
    client.on("change", change => {
        store.applyChange(uri, change);
        for (const id of change.removed)
            usageStore.remove(uri, id);
    });
    client.on("status", status => store.setStatus(uri, status));
    client.on("usage", message => usageStore.apply(uri, message));
    return client;
}
