// The names of the VMs on one connection, for the duplicate-name rule and name suggestions.

import { useCallback, useRef, useSyncExternalStore } from "react";

import { vmStore } from "../../store/vm-store.ts";

export function useExistingNames(uri: string): ReadonlySet<string> {
    const cache = useRef<{ version: number; uri: string; names: ReadonlySet<string> } | null>(null);
    const get = useCallback(() => {
        const version = vmStore.getListVersion();
        if (cache.current?.version !== version || cache.current.uri !== uri) {
            const names = new Set(vmStore.getAll().filter(vm => vm.uri === uri).map(vm => vm.name));
            cache.current = { version, uri, names };
        }
        return cache.current.names;
    }, [uri]);
    return useSyncExternalStore(vmStore.listListeners.subscribe, get);
}
