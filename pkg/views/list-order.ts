// Filtering and sorting the VM list (pure functions; the list component runs them through useListSelection).

import { connectionLabel } from "../connections.ts";
import { type Vm, type VmState, vmKey } from "../types.ts";

export type SortColumn = "name" | "connection" | "state" | "vcpus" | "memory";
export type SortDirection = "asc" | "desc";
export interface SortSpec {
    column: SortColumn;
    direction: SortDirection;
}

/** The state filter's choices; "running" also covers "blocked" (a running VM waiting for a resource). */
export type StateFilter = "all" | "running" | "paused" | "shutoff" | "crashed" | "other";

const FILTERED: Record<Exclude<StateFilter, "all" | "other">, readonly VmState[]> = {
    running: ["running", "blocked"],
    paused: ["paused"],
    shutoff: ["shutoff"],
    crashed: ["crashed"],
};
const NAMED: readonly VmState[] = Object.values(FILTERED).flat();

/** Sort order of states: the ones that need attention first, then by activity. */
const STATE_RANK: Record<VmState, number> = {
    crashed: 0, running: 1, blocked: 2, paused: 3, pmsuspended: 4, shutdown: 5, shutoff: 6, nostate: 7,
};

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

function matchesState(vm: Vm, filter: StateFilter): boolean {
    if (filter === "all")
        return true;
    if (filter === "other")
        return !NAMED.includes(vm.state);
    return FILTERED[filter].includes(vm.state);
}

function compare(a: Vm, b: Vm, column: SortColumn): number {
    switch (column) {
    case "name": return 0;
    case "connection": return collator.compare(connectionLabel(a.uri), connectionLabel(b.uri));
    case "state": return STATE_RANK[a.state] - STATE_RANK[b.state];
    case "vcpus": return a.vcpus - b.vcpus;
    case "memory": return a.memory - b.memory;
    }
}

/** Keys of the VMs whose name contains `text` (any case) and whose state matches, in `sort` order. */
export function visibleKeys(vms: readonly Vm[], text: string, state: StateFilter, sort: SortSpec): string[] {
    const needle = text.trim().toLocaleLowerCase();
    const shown = vms.filter(vm => (!needle || vm.name.toLocaleLowerCase().includes(needle)) &&
        matchesState(vm, state));
    const sign = sort.direction === "asc" ? 1 : -1;
    shown.sort((a, b) => sign * (compare(a, b, sort.column) || collator.compare(a.name, b.name)) ||
        collator.compare(a.uri, b.uri));
    return shown.map(vm => vmKey(vm.uri, vm.id));
}
