// Which VMs use a pool or a network, from the VM list the page already has.

import type { Pool } from "../client/resources-client.ts";
import { vmStore } from "../store/vm-store.ts";

export function vmsUsingPool(uri: string, pool: Pool): string[] {
    const prefix = pool.path ? pool.path.replace(/\/+$/, "") + "/" : null;
    return vmStore.getAll()
            .filter(vm => vm.uri === uri && vm.disks.some(d =>
                d.pool === pool.name || (prefix !== null && d.source?.startsWith(prefix))))
            .map(vm => vm.name)
            .sort();
}

export function vmsUsingNetwork(uri: string, network: string): string[] {
    return vmStore.getAll()
            .filter(vm => vm.uri === uri && vm.interfaces.some(i => i.type === "network" && i.source === network))
            .map(vm => vm.name)
            .sort();
}
