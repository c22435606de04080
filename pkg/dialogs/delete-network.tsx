// Deleting a virtual network, naming the VMs whose interfaces use it (they lose their link).

import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { Modal, ModalBody, ModalFooter, ModalHeader } from "@patternfly/react-core/dist/esm/components/Modal/index.js";

import type { Network } from "../client/resources-client.ts";

import { openDialog } from "./dialog-host.tsx";

const _ = cockpit.gettext;

function DeleteNetworkDialog({ network, users, onDone }: {
    network: Network; users: readonly string[]; onDone: (yes: boolean) => void;
}) {
    return (
        <Modal isOpen variant="small" onClose={() => onDone(false)} aria-labelledby="virt-delete-network-title"
               data-test="delete-network-dialog">
            <ModalHeader title={cockpit.format(_("Delete network $0?"), network.name)} labelId="virt-delete-network-title"
                         titleIconVariant="warning" />
            <ModalBody>
                {users.length > 0
                    ? cockpit.format(_("In use by $0: their interfaces lose their link and they cannot start until it is changed."), users.join(", "))
                    : _("The network is stopped and its definition removed.")}
            </ModalBody>
            <ModalFooter>
                <Button variant="danger" onClick={() => onDone(true)} id="delete-network-confirm">{_("Delete")}</Button>
                <Button variant="link" onClick={() => onDone(false)}>{_("Cancel")}</Button>
            </ModalFooter>
        </Modal>
    );
}

export function showDeleteNetworkDialog(network: Network, users: readonly string[]): Promise<boolean> {
    return openDialog<boolean>(done => <DeleteNetworkDialog network={network} users={users} onDone={done} />);
}
