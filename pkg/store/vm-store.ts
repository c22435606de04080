// The VM store: every VM of every connection by key (vmKey(uri, id)), plus each connection's status.
//
// Only the watch clients write it (store/feed.ts). Components read it through store/hooks.ts:
// - one VM by key: notified only when that VM's object changes, so one change re-renders one row;
// - the list: notified only when VMs come or go or a field the list filters or sorts on changes;
// - connections: notified when a connection's status changes.

import type { WatchChange, WatchStatus } from "../client/watch-client.ts";
import { type ConnectionStatus, type Vm, vmKey } from "../types.ts";

import { KeyedListeners, Listeners } from "./listeners.ts";

/** Fields the list filters or sorts on: a change to any other field leaves the list's order alone. */
function listFieldsDiffer(a: Vm, b: Vm): boolean {
    return a.name !== b.name || a.state !== b.state || a.vcpus !== b.vcpus || a.memory !== b.memory;
}

export class VmStore {
    #vms = new Map<string, Vm>();
    #all: readonly Vm[] | null = [];
    #listVersion = 0;
    #connections: readonly ConnectionStatus[] = [];
    #connectionsLoaded = false;

    readonly vmListeners = new KeyedListeners();
    readonly listListeners = new Listeners();
    readonly connectionListeners = new Listeners();

    getVm = (key: string): Vm | undefined => this.#vms.get(key);

    /** Bumped whenever getAll() would return a different set or order-relevant data. */
    getListVersion = (): number => this.#listVersion;

    getAll = (): readonly Vm[] => {
        this.#all ??= [...this.#vms.values()];
        return this.#all;
    };

    getCount = (): number => this.#vms.size;

    getConnections = (): readonly ConnectionStatus[] => this.#connections;

    /** False until the connections to watch are known (cockpit.user() is asynchronous). */
    getConnectionsLoaded = (): boolean => this.#connectionsLoaded;

    findByName(uri: string, name: string): Vm | undefined {
        for (const vm of this.#vms.values()) {
            if (vm.uri === uri && vm.name === name)
                return vm;
        }
        return undefined;
    }

    /** Sets the watched connections, in display order. Statuses of URIs already known are kept. */
    setConnections(uris: readonly string[]): void {
        const old = new Map(this.#connections.map(c => [c.uri, c]));
        this.#connections = uris.map(uri => old.get(uri) ??
            { uri, state: "loading", message: null, problem: null, synced: false });
        this.#connectionsLoaded = true;
        this.connectionListeners.notify();
    }

    /** Stops listing `uri`: its status and its VMs leave the store. */
    forgetConnection(uri: string): void {
        const ids = [...this.#vms.values()].filter(vm => vm.uri === uri).map(vm => vm.id);
        this.#connections = this.#connections.filter(c => c.uri !== uri);
        this.connectionListeners.notify();
        if (ids.length > 0)
            this.applyChange(uri, { upserts: [], removed: ids });
    }

    setStatus(uri: string, status: WatchStatus): void {
        this.#connections = this.#connections.map(c => c.uri === uri ? { uri, ...status } : c);
        this.connectionListeners.notify();
    }

    applyChange(uri: string, change: WatchChange): void {
        let listChanged = false;
        const changed: string[] = [];
        for (const id of change.removed) {
            const key = vmKey(uri, id);
            if (this.#vms.delete(key)) {
                listChanged = true;
                changed.push(key);
            }
        }
        for (const vm of change.upserts) {
            // The helper sends `uri` in each VM; the channel's URI is the truth for keys and grouping.
            const entry = vm.uri === uri ? vm : { ...vm, uri };
            const key = vmKey(uri, vm.id);
            const old = this.#vms.get(key);
            this.#vms.set(key, entry);
            changed.push(key);
            if (!old || listFieldsDiffer(old, entry))
                listChanged = true;
        }
        // Even an unchanged order needs a fresh getAll(): it holds the VM objects.
        this.#all = null;
        if (listChanged)
            this.#listVersion++;
        for (const key of changed)
            this.vmListeners.notify(key);
        if (listChanged)
            this.listListeners.notify();
    }
}

export const vmStore = new VmStore();
