// The frame the "Delete network" and "Delete storage pool" confirmations share: a warning title, what deleting
// means, Delete and Cancel. Element ids and data-test names derive from `kind`, e.g. `delete-network-confirm`.

import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { Modal, ModalBody, ModalFooter, ModalHeader } from "@patternfly/react-core/dist/esm/components/Modal/index.js";
import type { ReactNode } from "react";

const _ = cockpit.gettext;

export function DeleteResourceDialog({ kind, title, onDelete, onCancel, children }: {
    kind: "network" | "pool";
    title: string;
    onDelete: () => void;
    onCancel: () => void;
    /** what deleting means */
    children: ReactNode;
}) {
    return (
        <Modal isOpen variant="small" onClose={onCancel} aria-labelledby={`virt-delete-${kind}-title`}
               data-test={`delete-${kind}-dialog`}>
            <ModalHeader title={title} labelId={`virt-delete-${kind}-title`} titleIconVariant="warning" />
            <ModalBody>{children}</ModalBody>
            <ModalFooter>
                <Button variant="danger" onClick={onDelete} id={`delete-${kind}-confirm`}>{_("Delete")}</Button>
                <Button variant="link" onClick={onCancel}>{_("Cancel")}</Button>
            </ModalFooter>
        </Modal>
    );
}
