// Asks before a disruptive action (shut down, force off, reboot, NMI), naming the VM.

import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { Modal, ModalBody, ModalFooter, ModalHeader } from "@patternfly/react-core/dist/esm/components/Modal/index.js";

import type { ActionDef, Confirmation } from "../actions.ts";
import type { Vm } from "../types.ts";

import { openDialog } from "./dialog-host.tsx";

const _ = cockpit.gettext;

interface Props {
    vm: Vm;
    confirm: Confirmation;
    onDone: (confirmed: boolean) => void;
}

function ConfirmActionDialog({ vm, confirm, onDone }: Props) {
    return (
        <Modal isOpen variant="small" onClose={() => onDone(false)}
               aria-labelledby="virt-confirm-title" aria-describedby="virt-confirm-body">
            <ModalHeader title={confirm.title(vm.name)} labelId="virt-confirm-title"
                         {...confirm.danger ? { titleIconVariant: "warning" } : {}} />
            <ModalBody id="virt-confirm-body">{confirm.body}</ModalBody>
            <ModalFooter>
                <Button variant={confirm.danger ? "danger" : "primary"} onClick={() => onDone(true)}>
                    {confirm.button}
                </Button>
                <Button variant="link" onClick={() => onDone(false)}>{_("Cancel")}</Button>
            </ModalFooter>
        </Modal>
    );
}

/** Resolves true when the user confirms (at once when the action needs no confirmation). */
export function showConfirmActionDialog(vm: Vm, def: ActionDef): Promise<boolean> {
    const confirm = def.confirm;
    if (!confirm)
        return Promise.resolve(true);
    return openDialog<boolean>(done => <ConfirmActionDialog vm={vm} confirm={confirm} onDone={done} />);
}
