// Paste text into a console: typed as keystrokes on the VNC display, written to the serial line. Browsers do not
// let a page read the clipboard on its own, so the user pastes into this box first.

import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { Modal, ModalBody, ModalFooter, ModalHeader } from "@patternfly/react-core/dist/esm/components/Modal/index.js";
import { TextArea } from "@patternfly/react-core/dist/esm/components/TextArea/index.js";
import { useState } from "react";

import type { ConsoleKind } from "./console-channel.ts";

const _ = cockpit.gettext;

interface Props {
    kind: ConsoleKind;
    /** the text to send, or null when cancelled */
    onClose: (text: string | null) => void;
}

export function PasteDialog({ kind, onClose }: Props) {
    const [text, setText] = useState("");
    return (
        <Modal isOpen variant="small" onClose={() => onClose(null)} aria-labelledby="virt-console-paste-title">
            <ModalHeader title={_("Paste text")} labelId="virt-console-paste-title"
                         description={kind === "graphics"
                             ? _("The text is typed into the VM, key by key, as on a US keyboard.")
                             : _("The text is written to the serial console; new lines become Enter.")} />
            <ModalBody>
                <TextArea aria-label={_("Text to paste")} value={text} onChange={(_ev, value) => setText(value)}
                          autoFocus rows={8} resizeOrientation="vertical" />
            </ModalBody>
            <ModalFooter>
                <Button variant="primary" isDisabled={!text} onClick={() => onClose(text)}>
                    {kind === "graphics" ? _("Type") : _("Paste")}
                </Button>
                <Button variant="link" onClick={() => onClose(null)}>{_("Cancel")}</Button>
            </ModalFooter>
        </Modal>
    );
}
