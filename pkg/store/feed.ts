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

/**
 * What the clients report waits here, in order, for the next frame (or 50 ms where there are no frames): each
 * store notification re-renders the list, and twenty hosts' snapshots and statuses arrive in a hundred separate
 * tasks; applied together they cost one render.
 */
const pending: { uri: string; apply: () => void }[] = [];
let flushScheduled = false;

function flushPending(): void {
    flushScheduled = false;
    for (const { apply } of pending.splice(0))
        apply();
}

function applyNextFrame(uri: string, apply: () => void): void {
    pending.push({ uri, apply });
    if (flushScheduled)
        return;
    flushScheduled = true;
    const flush = () => {
        if (flushScheduled)
            flushPending();
    };
    window.requestAnimationFrame(flush);
    window.setTimeout(flush, 50);
}

/** Starts watching `uris`; returns the function that stops it. */
export function watchConnections(store: VmStore, uris: readonly string[]): () => void {
    store.setConnections(uris);
    // Each client has taken its connection's early channel (pkg/boot.ts) if it could; the others are not needed.
    // All start together once the transport is ready, so the last one's start comes after every other.
    uris.forEach((uri, i) =>
        following.set(uri, followClients([feedClient(store, uri)], i === uris.length - 1 ? releaseEarlyWatches : undefined)));
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

/** Stops watching `uri` (a host removed): its channel closes, its rows and usage leave the stores. */
export function forgetConnection(store: VmStore, uri: string): void {
    following.get(uri)?.();
    following.delete(uri);
    for (let i = pending.length - 1; i >= 0; i--) {
        if (pending[i]?.uri === uri)
            pending.splice(i, 1);
    }
    store.forgetConnection(uri);
    usageStore.forgetConnection(uri);
}

function feedClient(store: VmStore, uri: string): VirtWatchClient {
    const client = new VirtWatchClient(uri);
    client.on("change", change => applyNextFrame(uri, () => {
        store.applyChange(uri, change);
        for (const id of change.removed)
            usageStore.remove(uri, id);
    }));
    client.on("status", status => applyNextFrame(uri, () => store.setStatus(uri, status)));
    client.on("usage", message => applyNextFrame(uri, () => usageStore.apply(uri, message)));
    return client;
}
