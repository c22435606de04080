// Deleting a VM: which of its disks' storage to delete too. The helper's `delete-plan` says what deleting each disk
// means and which other VMs use it; the VM's own writable disks start ticked, install media and shared storage never
// do, and storage that is never deleted (block devices, network disks) or shared cannot be ticked.

import { Alert } from "@patternfly/react-core/dist/esm/components/Alert/index.js";
import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { Checkbox } from "@patternfly/react-core/dist/esm/components/Checkbox/index.js";
import { Content } from "@patternfly/react-core/dist/esm/components/Content/index.js";
import { Modal, ModalBody, ModalFooter, ModalHeader } from "@patternfly/react-core/dist/esm/components/Modal/index.js";
import { Spinner } from "@patternfly/react-core/dist/esm/components/Spinner/index.js";
import { Stack, StackItem } from "@patternfly/react-core/dist/esm/layouts/Stack/index.js";
import { useEffect, useState } from "react";

import { type DeletePlan, type PlannedDisk, type StorageChoice, deletable, fetchDeletePlan, tickedByDefault }
    from "../client/delete-plan.ts";
import { useVm } from "../store/hooks.ts";
import { type Vm, vmKey } from "../types.ts";

import { openDialog } from "./dialog-host.tsx";

const _ = cockpit.gettext;

const choiceKey = (disk: { target: string; source: string | null }) => `${disk.target}\n${disk.source ?? ""}`;

function deviceLabel(disk: PlannedDisk): string {
    switch (disk.device) {
    case "cdrom": return cockpit.format(_("CD/DVD $0"), disk.target);
    case "floppy": return cockpit.format(_("Floppy $0"), disk.target);
    default: return cockpit.format(_("Disk $0"), disk.target);
    }
}

/** What deleting this disk's storage means, in one sentence. */
function fate(disk: PlannedDisk): string {
    if (disk.usedBy.length > 0)
        return cockpit.format(_("Used by $0: kept"), disk.usedBy.join(", "));
    if (disk.removal === "file")
        return _("The file is removed");
    if (disk.removal === "volume")
        return cockpit.format(_("Volume $0 is deleted from pool $1"), disk.volume ?? "", disk.pool ?? "");
    switch (disk.kept) {
    case "block-device": return _("Block device: never deleted, only detached");
    case "network": return _("Network disk: never deleted, only detached");
    case "directory": return _("Host directory: never deleted, only detached");
    case "not-regular-file": return _("Not a regular file: never deleted, only detached");
    case "pool-unavailable":
        return cockpit.format(_("Pool $0 or its volume $1 cannot be found: nothing deleted"), disk.pool ?? "",
                              disk.volume ?? "");
    default: return _("Never deleted, only detached");
    }
}

interface Props {
    vm: Vm;
    onDone: (storage: StorageChoice[] | null) => void;
}

function DeleteVmDialog({ vm: opened, onDone }: Props) {
    // Follow the VM while the dialog is open (it may stop, or its media may change); keep the last copy if it vanishes.
    const vm = useVm(vmKey(opened.uri, opened.id)) ?? opened;
    const [plan, setPlan] = useState<DeletePlan | null>(null);
    const [planError, setPlanError] = useState<string | null>(null);
    /** keys of the disks ticked, and of every disk shown so far (each gets its default tick once) */
    const [choices, setChoices] = useState<{ ticked: ReadonlySet<string>; seen: ReadonlySet<string> }>(
        () => ({ ticked: new Set(), seen: new Set() }));
    const ticked = choices.ticked;
    const active = vm.state !== "shutoff";
    const disksJson = JSON.stringify(vm.disks);

    // Asked again whenever the VM's disks change, so what is ticked is what the helper will find. New disks get
    // their default tick; the user's choices for disks already shown stay.
    useEffect(() => {
        let current = true;
        fetchDeletePlan(vm.uri, vm.id).then(next => {
            if (!current)
                return;
            setPlan(next);
            setPlanError(null);
            setChoices(({ ticked, seen }) => {
                const fresh = next.disks.filter(d => !seen.has(choiceKey(d)));
                return {
                    ticked: new Set([...ticked, ...fresh.filter(tickedByDefault).map(choiceKey)]),
                    seen: new Set([...seen, ...fresh.map(choiceKey)]),
                };
            });
        }, (ex: unknown) => {
            if (current)
                setPlanError(ex instanceof Error ? ex.message : String(ex));
        });
        return () => { current = false };
    }, [vm.uri, vm.id, disksJson]);

    const toggle = (key: string, checked: boolean) => {
        const next = new Set(ticked);
        if (checked)
            next.add(key);
        else
            next.delete(key);
        setChoices({ ticked: next, seen: choices.seen });
    };

    const disks = plan?.disks ?? [];
    const chosen = (): StorageChoice[] => disks
        .filter(d => deletable(d) && d.source !== null && ticked.has(choiceKey(d)))
        .map(d => ({ target: d.target, source: d.source ?? "" }));

    let storage;
    if (planError !== null)
        storage = (
            <Alert isInline variant="warning" className="virt-delete-plan-error"
                   title={_("Which storage the VM uses could not be read: only the VM itself can be deleted")}>
                {planError}
            </Alert>
        );
    else if (!plan)
        storage = <Spinner size="md" aria-label={_("Reading the VM's storage…")} />;
    else
        storage = (
            <Stack hasGutter>
                <StackItem>
                    <Content component="p">
                        {disks.length > 0
                            ? _("The VM's definition is removed. Also delete the storage of these devices:")
                            : _("The VM's definition is removed. It has no storage to delete.")}
                    </Content>
                </StackItem>
                {disks.map(disk =>
                    <StackItem key={choiceKey(disk)}>
                        <Checkbox id={`virt-delete-disk-${disk.target}`} className="virt-delete-disk"
                                  data-removal={disk.removal}
                                  isChecked={deletable(disk) && ticked.has(choiceKey(disk))}
                                  isDisabled={!deletable(disk)}
                                  onChange={(_ev, checked) => toggle(choiceKey(disk), checked)}
                                  label={disk.source ?? cockpit.format("$0/$1", disk.pool ?? "", disk.volume ?? "")}
                                  description={cockpit.format("$0 · $1", deviceLabel(disk), fate(disk))} />
                    </StackItem>)}
                {plan.nvram &&
                    <StackItem>
                        <Content component="p">{_("Its UEFI variables (NVRAM) are deleted with it.")}</Content>
                    </StackItem>}
                {plan.tpm &&
                    <StackItem>
                        <Content component="p">
                            {plan.tpm === "removed"
                                ? _("Its TPM state is deleted with it.")
                                : _("Its TPM state is kept (the TPM is set to keep its state).")}
                        </Content>
                    </StackItem>}
            </Stack>
        );

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
                    <StackItem>{storage}</StackItem>
                </Stack>
            </ModalBody>
            <ModalFooter>
                <Button variant="danger" isDisabled={!plan && planError === null} onClick={() => onDone(chosen())}>
                    {_("Delete")}
                </Button>
                <Button variant="link" onClick={() => onDone(null)}>{_("Cancel")}</Button>
            </ModalFooter>
        </Modal>
    );
}

/** Resolves with the disks whose storage to delete (target and source, as shown), or null when cancelled. */
export function showDeleteVmDialog(vm: Vm): Promise<StorageChoice[] | null> {
    return openDialog<StorageChoice[] | null>(done => <DeleteVmDialog vm={vm} onDone={done} />);
}
