// React hooks over the stores. Each subscribes to exactly what its component shows.

import { useCallback, useMemo, useSyncExternalStore } from "react";

import { type ConnectionStatus, type HostUsage, type Vm, vmKey } from "../types.ts";

import { type VmActionState, actionState } from "./action-state.ts";
import { type Notice, getNotices, noticeListeners } from "./notices.ts";
import { type UsageEntry, usageStore } from "./usage-store.ts";
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

/** A getSnapshot for useSyncExternalStore that runs `select` only when the list version (and with `byUsage` the
 * usage order version) moved, and keeps the previous array when the new one has the same elements. */
function listSelector<T>(select: (vms: readonly Vm[]) => readonly T[], byUsage: boolean): () => readonly T[] {
    let version = -1;
    let usageVersion = -1;
    let cached: readonly T[] = [];
    return () => {
        const current = vmStore.getListVersion();
        const currentUsage = byUsage ? usageStore.getOrderVersion() : 0;
        if (current !== version || currentUsage !== usageVersion) {
            version = current;
            usageVersion = currentUsage;
            const next = select(vmStore.getAll());
            if (!sameArray(next, cached))
                cached = next;
        }
        return cached;
    };
}

function subscribeListAndUsageOrder(cb: () => void): () => void {
    const unsubscribeList = vmStore.listListeners.subscribe(cb);
    const unsubscribeOrder = usageStore.orderListeners.subscribe(cb);
    return () => {
        unsubscribeList();
        unsubscribeOrder();
    };
}

/**
 * A derived value of the whole VM list (e.g. the keys of the visible rows, filtered and sorted). `select` runs
 * only when the list changed in a way that matters (vm-store.ts: VMs come or go, or a list field changes) or,
 * with `byUsage` (sorted by a usage column), at most once per tick; the component re-renders only when the
 * selected array differs element by element.
 * `select` must be stable (useCallback): a new one recomputes.
 */
export function useListSelection<T>(select: (vms: readonly Vm[]) => readonly T[], byUsage = false): readonly T[] {
    const getSnapshot = useMemo(() => listSelector(select, byUsage), [select, byUsage]);
    return useSyncExternalStore(byUsage ? subscribeListAndUsageOrder : vmStore.listListeners.subscribe, getSnapshot);
}

/** The live usage of one VM (undefined when it has none); re-renders only when that VM's entry changes. */
export function useUsage(key: string): UsageEntry | undefined {
    const subscribe = useCallback((cb: () => void) => usageStore.vmListeners.subscribe(key, cb), [key]);
    return useSyncExternalStore(subscribe, () => usageStore.get(key));
}

/** The host usage of each connection that reports one. */
export function useHosts(): readonly { uri: string; host: HostUsage }[] {
    return useSyncExternalStore(usageStore.hostListeners.subscribe, usageStore.getHosts);
}

/** The number of running VMs of all connections (running or blocked, as the state filter counts them). */
export function useRunningCount(): number {
    const select = useCallback(
        (vms: readonly Vm[]): readonly number[] => [vms.filter(vm => vm.state === "running" || vm.state === "blocked").length],
        []);
    return useListSelection(select)[0] ?? 0;
}

/** The number of VMs of all connections. */
export function useVmCount(): number {
    return useSyncExternalStore(vmStore.listListeners.subscribe, vmStore.getCount);
}
