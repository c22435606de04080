// The usage cells of a list row (CPU with its sparkline, memory, disk and network rates) and the "Not responding"
// label. Plain markup and native titles: a row must stay cheap, there may be a thousand of them.

import { formatBytes, formatPercent, formatRate } from "../format.ts";
import { useUsage } from "../store/hooks.ts";
import type { UsageEntry } from "../store/usage-store.ts";
import type { Vm, VmUsage } from "../types.ts";

import { PlainLabel } from "./plain-label.tsx";

const _ = cockpit.gettext;

/** What a usage cell shows for a VM without usage (not running, or no tick yet). */
export const NO_USAGE = "—";

const SPARK_HEIGHT = 100; // viewBox units; the CSS box sets the size on screen

/**
 * CPU % over the last minutes as a line, newest on the right; a sparkline that is not full yet starts further
 * right. The y axis is 0–100 %.
 */
export function Sparkline({ values, cap }: { values: readonly number[]; cap: number }) {
    const width = Math.max(cap - 1, 1);
    const offset = width - (values.length - 1);
    const points = values.length === 1
        ? `${width - 1},${y(values[0] ?? 0)} ${width},${y(values[0] ?? 0)}`
        : values.map((v, i) => `${offset + i},${y(v)}`).join(" ");
    return (
        <svg className="virt-sparkline" viewBox={`0 0 ${width} ${SPARK_HEIGHT}`} preserveAspectRatio="none"
             aria-hidden="true" focusable="false">
            <polyline points={points} vectorEffect="non-scaling-stroke" />
        </svg>
    );
}

function y(cpu: number): number {
    return Math.round((SPARK_HEIGHT - Math.min(Math.max(cpu, 0), 100) * 0.96 - 2) * 10) / 10;
}

export function CpuCell({ entry }: { entry: UsageEntry | undefined }) {
    if (!entry)
        return <span className="virt-no-usage">{NO_USAGE}</span>;
    return (
        <span className="virt-cpu">
            <span className="virt-cpu-value">{formatPercent(entry.usage.cpu)}</span>
            <Sparkline values={entry.spark} cap={entry.sparkCap} />
        </span>
    );
}

/** Used and total memory; the assigned memory (`assigned`) when the guest reports no statistics. */
export function memoryOf(usage: VmUsage, vm: Vm): { used: number; total: number; assigned: boolean } {
    const total = usage.memoryTotal > 0 ? usage.memoryTotal : vm.memory;
    if (!usage.memoryFromGuest)
        return { used: usage.memoryUsed > 0 ? usage.memoryUsed : total, total, assigned: true };
    return { used: usage.memoryUsed, total, assigned: false };
}

export function MemoryCell({ entry, vm }: { entry: UsageEntry | undefined; vm: Vm }) {
    if (!entry)
        return <span className="virt-no-usage">{NO_USAGE}</span>;
    const { used, total, assigned } = memoryOf(entry.usage, vm);
    if (assigned) {
        return (
            <span title={_("The guest reports no memory statistics: this is the memory assigned to it")}>
                {formatBytes(used)} <span className="virt-muted">{_("assigned")}</span>
            </span>
        );
    }
    return <span>{cockpit.format(_("$0 / $1"), formatBytes(used), formatBytes(total))}</span>;
}

/** Two rates stacked: read over write, or received over sent. */
function RatesCell({ entry, first, second, labels, title }: {
    entry: UsageEntry | undefined;
    first: (u: VmUsage) => number;
    second: (u: VmUsage) => number;
    labels: [string, string];
    title: string;
}) {
    if (!entry)
        return <span className="virt-no-usage">{NO_USAGE}</span>;
    const a = formatRate(first(entry.usage));
    const b = formatRate(second(entry.usage));
    return (
        <span className="virt-rates" title={cockpit.format(title, a, b)}>
            <span><span className="virt-muted virt-rate-label">{labels[0]}</span> {a}</span>
            <span><span className="virt-muted virt-rate-label">{labels[1]}</span> {b}</span>
        </span>
    );
}

export function DiskCell({ entry }: { entry: UsageEntry | undefined }) {
    return <RatesCell entry={entry} first={u => u.diskRead} second={u => u.diskWrite}
                      labels={[_("R"), _("W")]} title={_("Disk read $0, write $1")} />;
}

export function NetworkCell({ entry }: { entry: UsageEntry | undefined }) {
    return <RatesCell entry={entry} first={u => u.netRx} second={u => u.netTx}
                      labels={["↓", "↑"]} title={_("Network received $0, sent $1")} />;
}

/** Shown instead of the state while the VM's QEMU does not answer. */
export function NotRespondingLabel({ isCompact = false }: { isCompact?: boolean }) {
    return (
        <PlainLabel warning isCompact={isCompact} className="virt-not-responding"
               title={_("The VM runs, but its QEMU process does not answer. Its numbers are from before.")}>
            {_("Not responding")}
        </PlainLabel>
    );
}

/** The VM page's header: "Not responding" next to the state while that lasts; subscribes to its own VM's usage. */
export function VmNotResponding({ vmKey }: { vmKey: string }) {
    const entry = useUsage(vmKey);
    return entry && !entry.usage.responding ? <NotRespondingLabel /> : null;
}
