// Asks before wiping a volume: its data is overwritten with zeros and cannot come back.

import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { Modal, ModalBody, ModalFooter, ModalHeader } from "@patternfly/react-core/dist/esm/components/Modal/index.js";

import { openDialog } from "./dialog-host.tsx";

const _ = cockpit.gettext;

function WipeVolumeDialog({ name, onDone }: { name: string; onDone: (yes: boolean) => void }) {
    return (
        <Modal isOpen variant="small" onClose={() => onDone(false)} aria-labelledby="virt-wipe-volume-title"
               data-test="wipe-volume-dialog">
            <ModalHeader title={cockpit.format(_("Wipe $0?"), name)} labelId="virt-wipe-volume-title" titleIconVariant="warning" />
            <ModalBody>{_("Every byte of the volume is overwritten with zeros. Its size stays; its data cannot be recovered.")}</ModalBody>
            <ModalFooter>
                <Button variant="danger" onClick={() => onDone(true)}>{_("Wipe")}</Button>
                <Button variant="link" onClick={() => onDone(false)}>{_("Cancel")}</Button>
            </ModalFooter>
        </Modal>
    );
}

export function showWipeVolumeDialog(name: string): Promise<boolean> {
    return openDialog<boolean>(done => <WipeVolumeDialog name={name} onDone={done} />);
}
