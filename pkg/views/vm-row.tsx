// One row of the VM list. It subscribes to its own VM and action state, so a change to one VM re-renders one
// row; memo() keeps the list's re-renders (scrolling, sorting) from touching rows whose props are unchanged.

import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { Td, Tr } from "@patternfly/react-table/dist/esm/components/Table/index.js";
import { memo } from "react";

import { connectionLabel } from "../connections.ts";
import { formatBytes } from "../format.ts";
import { useActionState, useVm } from "../store/hooks.ts";

import { FailureAlert } from "./failure-alert.tsx";
import { vmHref } from "./routes.ts";
import { VmStateLabel } from "./state-label.tsx";
import { VmActions } from "./vm-actions.tsx";

const _ = cockpit.gettext;

export const COLUMN_COUNT = 6;

interface Props {
    vmKey: string;
    /** aria-rowindex: position in the whole (virtualized) table, header = 1 */
    rowIndex: number;
}

export const VmRow = memo(function VmRow({ vmKey, rowIndex }: Props) {
    const vm = useVm(vmKey);
    const { pending, failure } = useActionState(vmKey);
    if (!vm)
        return null;

    return (
        <>
            <Tr className="virt-vm-row" aria-rowindex={rowIndex}
                data-vm-id={vm.id} data-vm-name={vm.name} data-vm-state={vm.state}>
                <Td dataLabel={_("Name")} className="virt-cell-name">
                    <Button variant="link" isInline component="a" href={vmHref(vm)} title={vm.title || vm.name}>
                        {vm.name}
                    </Button>
                </Td>
                <Td dataLabel={_("Connection")} className="virt-cell-connection">
                    <span title={vm.uri}>{connectionLabel(vm.uri)}</span>
                </Td>
                <Td dataLabel={_("State")}><VmStateLabel state={vm.state} isCompact /></Td>
                <Td dataLabel={_("vCPUs")} className="virt-col-wide">{vm.vcpus}</Td>
                <Td dataLabel={_("Memory")} className="virt-col-wide">{formatBytes(vm.memory)}</Td>
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
