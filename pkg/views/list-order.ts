// Filtering and sorting the VM list (pure functions; the list component runs them through useListSelection).

import { connectionLabel } from "../connections.ts";
import { type Vm, type VmState, type VmUsage, isActive, vmKey } from "../types.ts";

export type UsageColumn = "cpu" | "memoryUsed" | "disk" | "net";
export type SortColumn = "name" | "connection" | "state" | "vcpus" | "memory" | UsageColumn;

const USAGE_COLUMNS: readonly SortColumn[] = ["cpu", "memoryUsed", "disk", "net"];

/** Sorting by this column follows live usage (re-sorted once per tick). */
export function isUsageColumn(column: SortColumn): column is UsageColumn {
    return USAGE_COLUMNS.includes(column);
}

/** The current usage of a VM by key, if it has one. */
export type UsageOf = (key: string) => VmUsage | undefined;
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

function compare(a: Vm, b: Vm, column: Exclude<SortColumn, UsageColumn>): number {
    switch (column) {
    case "name": return 0;
    case "connection": return collator.compare(connectionLabel(a.uri), connectionLabel(b.uri));
    case "state": return STATE_RANK[a.state] - STATE_RANK[b.state];
    case "vcpus": return a.vcpus - b.vcpus;
    case "memory": return a.memory - b.memory;
    }
}

/** The number a usage column sorts by. */
export function usageValue(usage: VmUsage, column: UsageColumn): number {
    switch (column) {
    case "cpu": return usage.cpu;
    case "memoryUsed": return usage.memoryUsed;
    case "disk": return usage.diskRead + usage.diskWrite;
    case "net": return usage.netRx + usage.netTx;
    }
}

/**
 * Keys of the VMs whose name contains `text` (any case) and whose state matches, in `sort` order. By a usage
 * column, VMs without usage (not running) come last either way; ties go by name.
 */
export function visibleKeys(vms: readonly Vm[], text: string, state: StateFilter, sort: SortSpec,
                            usageOf: UsageOf = () => undefined): string[] {
    const needle = text.trim().toLocaleLowerCase();
    const shown = vms.filter(vm => (!needle || vm.name.toLocaleLowerCase().includes(needle)) &&
        matchesState(vm, state));
    const sign = sort.direction === "asc" ? 1 : -1;
    const byName = (a: Vm, b: Vm) => collator.compare(a.name, b.name) || collator.compare(a.uri, b.uri);
    const column = sort.column;
    if (isUsageColumn(column)) {
        // One lookup per VM, not per comparison.
        const value = new Map<Vm, number>();
        for (const vm of shown) {
            const usage = isActive(vm.state) ? usageOf(vmKey(vm.uri, vm.id)) : undefined;
            if (usage)
                value.set(vm, usageValue(usage, column));
        }
        shown.sort((a, b) => {
            const va = value.get(a);
            const vb = value.get(b);
            if (va === undefined || vb === undefined)
                return (va === undefined ? 1 : 0) - (vb === undefined ? 1 : 0) || sign * byName(a, b);
            return sign * ((va - vb) || byName(a, b));
        });
    } else {
        shown.sort((a, b) => sign * (compare(a, b, column) || collator.compare(a.name, b.name)) ||
            collator.compare(a.uri, b.uri));
    }
    return shown.map(vm => vmKey(vm.uri, vm.id));
}
