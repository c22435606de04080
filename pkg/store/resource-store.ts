// Pools and networks of every connection, from one ResourcesClient each (started with the VM watch, paused while
// the page is hidden). Subscribers get the whole (small) map; objects that did not change keep their identity.

import { type ConnectionResources, ResourcesClient, emptyResources } from "../client/resources-client.ts";

import { followClients } from "./follow.ts";
import { Listeners } from "./listeners.ts";

class ResourceStore {
    #byUri: readonly ConnectionResources[] = [];
    readonly listeners = new Listeners();

    get = (): readonly ConnectionResources[] => this.#byUri;

    setUris(uris: readonly string[]): void {
        this.#byUri = uris.map(uri => this.#byUri.find(r => r.uri === uri) ?? emptyResources(uri));
        this.listeners.notify();
    }

    update(state: ConnectionResources): void {
        this.#byUri = this.#byUri.map(r => r.uri === state.uri ? state : r);
        this.listeners.notify();
    }
}

export const resourceStore = new ResourceStore();

/** Starts following pools and networks of `uris`; returns the function that stops it. */
export function watchResources(uris: readonly string[]): () => void {
    resourceStore.setUris(uris);
    const clients = uris.map(uri => new ResourcesClient(uri, state => resourceStore.update(state)));
    return followClients(clients);
}

/** Starts following pools and networks of `uris` too, beside the connections followed already. */
export function watchMoreResources(uris: readonly string[]): () => void {
    const known = resourceStore.get().map(r => r.uri);
    const added = uris.filter(uri => !known.includes(uri));
    resourceStore.setUris([...known, ...added]);
    return followClients(added.map(uri => new ResourcesClient(uri, state => resourceStore.update(state))));
}
