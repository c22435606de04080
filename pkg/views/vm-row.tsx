// One row of the VM list. It subscribes to its own VM, action state and usage, so a change to one VM (or a tick
// that changed its numbers) re-renders one row; memo() keeps the list's re-renders (scrolling, sorting) from
// touching rows whose props are unchanged.

import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { Td, Tr } from "@patternfly/react-table/dist/esm/components/Table/index.js";
import { memo } from "react";

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
            <Tr className="virt-vm-row" aria-rowindex={rowIndex}
                data-vm-id={vm.id} data-vm-name={vm.name} data-vm-state={vm.state}
                {...responding ? {} : { "data-vm-not-responding": "true" }}
                {...lost ? { "data-host-unreachable": "true" } : {}}>
                <Td dataLabel={_("Name")} className="virt-cell-name">
                    <Button variant="link" isInline component="a" href={vmHref(vm)} title={vm.title || vm.name}>
                        {vm.name}
                    </Button>
                </Td>
                {showHost &&
                    <Td dataLabel={_("Host")} className="virt-cell-connection">
                        <span title={vm.uri}>{connectionLabel(vm.uri)}</span>
                    </Td>}
                <Td dataLabel={_("State")}>
                    {lost
                        ? <HostUnreachableLabel isCompact />
                        : responding ? <VmStateLabel state={vm.state} isCompact /> : <NotRespondingLabel isCompact />}
                </Td>
                <Td dataLabel={_("vCPUs")} className="virt-col-wide virt-col-config">{vm.vcpus}</Td>
                <Td dataLabel={_("Memory")} className="virt-col-wide virt-col-config">{formatBytes(vm.memory)}</Td>
                <Td dataLabel={_("CPU")} className="virt-cell-usage"><CpuCell entry={entry} /></Td>
                <Td dataLabel={_("Memory use")} className="virt-cell-usage virt-col-wide"><MemoryCell entry={entry} vm={vm} /></Td>
                <Td dataLabel={_("Disk")} className="virt-cell-usage virt-col-io"><DiskCell entry={entry} /></Td>
                <Td dataLabel={_("Network")} className="virt-cell-usage virt-col-io"><NetworkCell entry={entry} /></Td>
                <Td isActionCell className="virt-cell-actions">
                    <VmActions vm={vm} pending={pending} isCompact />
                </Td>
            </Tr>
            {failure &&
                <Tr className="virt-vm-failure-row" data-vm-failure={vm.id}>
                    <Td colSpan={COLUMN_COUNT}>
                        <FailureAlert vmKey={vmKey} vmName={vm.name} failure={failure} isCompact />
                    </Td>
                </Tr>}
        </>
    );
});
