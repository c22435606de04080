// Deleting a VM: which of its disks' storage to delete too (disks ticked, CD-ROMs not, by default).

import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { Checkbox } from "@patternfly/react-core/dist/esm/components/Checkbox/index.js";
import { Content } from "@patternfly/react-core/dist/esm/components/Content/index.js";
import { Modal, ModalBody, ModalFooter, ModalHeader } from "@patternfly/react-core/dist/esm/components/Modal/index.js";
import { Stack, StackItem } from "@patternfly/react-core/dist/esm/layouts/Stack/index.js";
import { useState } from "react";

import { useVm } from "../store/hooks.ts";
import { type Vm, type VmDisk, vmKey } from "../types.ts";

import { openDialog } from "./dialog-host.tsx";

const _ = cockpit.gettext;

/** Disks whose storage the delete can remove: disks and CD-ROMs that have a source. */
export function deletableDisks(vm: Vm): VmDisk[] {
    return vm.disks.filter(d => (d.device === "disk" || d.device === "cdrom") && d.source);
}

interface Props {
    vm: Vm;
    onDone: (storage: string[] | null) => void;
}

function DeleteVmDialog({ vm: opened, onDone }: Props) {
    // Follow the VM while the dialog is open (it may stop, or gain a disk); keep the last copy if it vanishes.
    const vm = useVm(vmKey(opened.uri, opened.id)) ?? opened;
    const disks = deletableDisks(vm);
    const [ticked, setTicked] = useState<ReadonlySet<string>>(
        () => new Set(disks.filter(d => d.device === "disk").map(d => d.target)));
    const active = vm.state !== "shutoff";

    const toggle = (target: string, checked: boolean) => {
        const next = new Set(ticked);
        if (checked)
            next.add(target);
        else
            next.delete(target);
        setTicked(next);
    };

    return (
        <Modal isOpen variant="medium" onClose={() => onDone(null)} aria-labelledby="virt-delete-title">
            <ModalHeader title={cockpit.format(_("Delete $0?"), vm.name)} labelId="virt-delete-title"
                         titleIconVariant="warning" />
            <ModalBody>
                <Stack hasGutter>
                    {active &&
                        <StackItem>
                            <Content component="p">
                                {_("The VM is running. It will be forced off first, like pulling the power cord.")}
                            </Content>
                        </StackItem>}
                    <StackItem>
                        <Content component="p">
                            {disks.length > 0
                                ? _("The VM's definition is removed. Also delete the storage of these devices:")
                                : _("The VM's definition is removed. It has no storage to delete.")}
                        </Content>
                    </StackItem>
                    {disks.map(disk =>
                        <StackItem key={disk.target}>
                            <Checkbox id={`virt-delete-disk-${disk.target}`} className="virt-delete-disk"
                                      isChecked={ticked.has(disk.target)}
                                      onChange={(_ev, checked) => toggle(disk.target, checked)}
                                      label={disk.source}
                                      description={disk.device === "cdrom"
                                          ? cockpit.format(_("CD/DVD $0"), disk.target)
                                          : cockpit.format(_("Disk $0"), disk.target)} />
                        </StackItem>)}
                </Stack>
            </ModalBody>
            <ModalFooter>
                <Button variant="danger" onClick={() => onDone(disks.map(d => d.target).filter(t => ticked.has(t)))}>
                    {_("Delete")}
                </Button>
                <Button variant="link" onClick={() => onDone(null)}>{_("Cancel")}</Button>
            </ModalFooter>
        </Modal>
    );
}

/** Resolves with the targets whose storage to delete, or null when cancelled. */
export function showDeleteVmDialog(vm: Vm): Promise<string[] | null> {
    return openDialog<string[] | null>(done => <DeleteVmDialog vm={vm} onDone={done} />);
}
