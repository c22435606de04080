// One row of the VM list. It subscribes to its own VM, action state and usage, so a change to one VM (or a tick
// that changed its numbers) re-renders one row; memo() keeps the list's re-renders (scrolling, sorting) from
// touching rows whose props are unchanged.
// The cells are plain <td>s with PatternFly's classes: its Td measures each cell after every render (a forced
// layout per cell, each usage tick) to offer a tooltip for truncated text, which these cells carry as titles. The
// name is a link styled as PatternFly's inline link button.

import { type ReactNode, memo } from "react";

import { connectionLabel } from "../connections.ts";
import { formatBytes } from "../format.ts";
import { useActionState, useUsage, useVm } from "../store/hooks.ts";
import { isActive } from "../types.ts";

import { FailureAlert } from "./failure-alert.tsx";
import { HostUnreachableLabel, useConnectionLost } from "./host-reachable.tsx";
import { vmHref } from "./routes.ts";
import { VmStateLabel } from "./state-label.tsx";
import { CpuCell, DiskCell, MemoryCell, NetworkCell, NotRespondingLabel } from "./usage-cells.tsx";
import { VmActions } from "./vm-actions.tsx";

const _ = cockpit.gettext;

export const COLUMN_COUNT = 10;

const TD = "pf-v6-c-table__td";

function Cell({ label, className, children }: { label: string; className?: string; children: ReactNode }) {
    return <td className={className ? `${TD} ${className}` : TD} data-label={label}>{children}</td>;
}

interface Props {
    vmKey: string;
    /** aria-rowindex: position in the whole (virtualized) table, header = 1 */
    rowIndex: number;
    /** the Host column (several connections) */
    showHost: boolean;
}

export const VmRow = memo(function VmRow({ vmKey, rowIndex, showHost }: Props) {
    const vm = useVm(vmKey);
    const { pending, failure } = useActionState(vmKey);
    const usage = useUsage(vmKey);
    const lost = useConnectionLost(vm?.uri ?? "");
    if (!vm)
        return null;
    // Numbers from before the VM stopped wait for the next tick to go: don't show them meanwhile.
    const entry = isActive(vm.state) ? usage : undefined;
    const responding = entry?.usage.responding ?? true;

    return (
        <>
            <tr className={failure ? "pf-v6-c-table__tr virt-vm-row virt-vm-row-failed" : "pf-v6-c-table__tr virt-vm-row"}
                aria-rowindex={rowIndex}
                data-vm-id={vm.id} data-vm-name={vm.name} data-vm-state={vm.state}
                {...responding ? {} : { "data-vm-not-responding": "true" }}
                {...lost ? { "data-host-unreachable": "true" } : {}}>
                <Cell label={_("Name")} className="virt-cell-name">
                    <a className="pf-v6-c-button pf-m-link pf-m-inline" href={vmHref(vm)} title={vm.title || vm.name}>
                        <span className="pf-v6-c-button__text">{vm.name}</span>
                    </a>
                </Cell>
                {showHost &&
                    <Cell label={_("Host")} className="virt-cell-connection">
                        <span title={vm.uri}>{connectionLabel(vm.uri)}</span>
                    </Cell>}
                <Cell label={_("State")}>
                    {lost
                        ? <HostUnreachableLabel isCompact />
                        : responding ? <VmStateLabel state={vm.state} isCompact /> : <NotRespondingLabel isCompact />}
                </Cell>
                <Cell label={_("vCPUs")} className="virt-col-wide virt-col-config">{vm.vcpus}</Cell>
                <Cell label={_("Memory")} className="virt-col-wide virt-col-config">{formatBytes(vm.memory)}</Cell>
                <Cell label={_("CPU")} className="virt-cell-usage"><CpuCell entry={entry} /></Cell>
                <Cell label={_("Memory use")} className="virt-cell-usage virt-col-wide"><MemoryCell entry={entry} vm={vm} /></Cell>
                <Cell label={_("Disk")} className="virt-cell-usage virt-col-io"><DiskCell entry={entry} /></Cell>
                <Cell label={_("Network")} className="virt-cell-usage virt-col-io"><NetworkCell entry={entry} /></Cell>
                <td className={`${TD} pf-v6-c-table__action virt-cell-actions`}>
                    <VmActions vm={vm} pending={pending} isCompact />
                </td>
            </tr>
            {failure &&
                <tr className="pf-v6-c-table__tr virt-vm-failure-row" data-vm-failure={vm.id}>
                    <td className={TD} colSpan={COLUMN_COUNT}>
                        <FailureAlert vmKey={vmKey} vmName={vm.name} failure={failure} isCompact />
                    </td>
                </tr>}
        </>
    );
});
