// React hooks over the stores. Each subscribes to exactly what its component shows.

import { useCallback, useMemo, useSyncExternalStore } from "react";

import { type ConnectionStatus, type Vm, vmKey } from "../types.ts";

import { type VmActionState, actionState } from "./action-state.ts";
import { type Notice, getNotices, noticeListeners } from "./notices.ts";
import { vmStore } from "./vm-store.ts";

/** One VM; re-renders only when that VM's object changes. */
export function useVm(key: string): Vm | undefined {
    const subscribe = useCallback((cb: () => void) => vmStore.vmListeners.subscribe(key, cb), [key]);
    return useSyncExternalStore(subscribe, () => vmStore.getVm(key));
}

/** The key of the VM called `name` on `uri` (names are unique per connection), or null. */
export function useVmKeyByName(uri: string, name: string): string | null {
    const find = useCallback(() => {
        const vm = vmStore.findByName(uri, name);
        return vm ? vmKey(vm.uri, vm.id) : null;
    }, [uri, name]);
    return useSyncExternalStore(vmStore.listListeners.subscribe, find);
}

export function useActionState(key: string): VmActionState {
    const subscribe = useCallback((cb: () => void) => actionState.listeners.subscribe(key, cb), [key]);
    return useSyncExternalStore(subscribe, () => actionState.get(key));
}

export function useFailedKeys(): ReadonlySet<string> {
    return useSyncExternalStore(actionState.failedListeners.subscribe, actionState.getFailedKeys);
}

export function useConnections(): readonly ConnectionStatus[] {
    return useSyncExternalStore(vmStore.connectionListeners.subscribe, vmStore.getConnections);
}

export function useConnectionsLoaded(): boolean {
    return useSyncExternalStore(vmStore.connectionListeners.subscribe, vmStore.getConnectionsLoaded);
}

export function useNotices(): readonly Notice[] {
    return useSyncExternalStore(noticeListeners.subscribe, getNotices);
}

function sameArray<T>(a: readonly T[], b: readonly T[]): boolean {
    return a.length === b.length && a.every((item, i) => item === b[i]);
}

/** A getSnapshot for useSyncExternalStore that runs `select` only when the list version moved, and keeps the
 * previous array when the new one has the same elements. */
function listSelector<T>(select: (vms: readonly Vm[]) => readonly T[]): () => readonly T[] {
    let version = -1;
    let cached: readonly T[] = [];
    return () => {
        const current = vmStore.getListVersion();
        if (current !== version) {
            version = current;
            const next = select(vmStore.getAll());
            if (!sameArray(next, cached))
                cached = next;
        }
        return cached;
    };
}

/**
 * A derived value of the whole VM list (e.g. the keys of the visible rows, filtered and sorted). `select` runs
 * only when the list changed in a way that matters (vm-store.ts: VMs come or go, or a list field changes), and
 * the component re-renders only when the selected array differs element by element.
 * `select` must be stable (useCallback): a new one recomputes.
 */
export function useListSelection<T>(select: (vms: readonly Vm[]) => readonly T[]): readonly T[] {
    const getSnapshot = useMemo(() => listSelector(select), [select]);
    return useSyncExternalStore(vmStore.listListeners.subscribe, getSnapshot);
}

/** The number of VMs of all connections. */
export function useVmCount(): number {
    return useSyncExternalStore(vmStore.listListeners.subscribe, vmStore.getCount);
}
