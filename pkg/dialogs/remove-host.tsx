// Asks before a saved host is removed; on yes the helper forgets it (op `connections`) and the page stops
// watching it, so its rows leave the list. A refusal stays in the dialog.

import { Alert } from "@patternfly/react-core/dist/esm/components/Alert/index.js";
import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { Modal, ModalBody, ModalFooter, ModalHeader } from "@patternfly/react-core/dist/esm/components/Modal/index.js";
import { useState } from "react";

import { removeConnection } from "../client/saved-connections.ts";
import { connectionLabel } from "../connections.ts";
import { forgetConnection } from "../store/feed.ts";
import { setListView, useListView } from "../store/list-view.ts";
import { vmStore } from "../store/vm-store.ts";

import { openDialog } from "./dialog-host.tsx";

const _ = cockpit.gettext;

function RemoveHostDialog({ uri, onDone }: { uri: string; onDone: () => void }) {
    const [busy, setBusy] = useState(false);
    const [error, setError] = useState<string | null>(null);
    const { host } = useListView();
    const label = connectionLabel(uri);

    const remove = () => {
        setBusy(true);
        setError(null);
        removeConnection(uri)
            .then(() => {
                forgetConnection(vmStore, uri);
                if (host === uri)
                    setListView({ host: "" });
                onDone();
            })
            .catch((ex: unknown) => {
                setBusy(false);
                setError(ex instanceof Error ? ex.message : String(ex));
            });
    };

    return (
        <Modal isOpen variant="small" onClose={onDone} aria-labelledby="virt-remove-host-title"
               aria-describedby="virt-remove-host-body" className="virt-remove-host-dialog">
            <ModalHeader title={cockpit.format(_("Remove $0?"), label)} labelId="virt-remove-host-title"
                         titleIconVariant="warning" />
            <ModalBody id="virt-remove-host-body">
                {_("Its virtual machines leave this list. Nothing changes on the host itself; add it again to see them.")}
                {error && <Alert variant="danger" isInline title={_("Cannot remove the host")}>{error}</Alert>}
            </ModalBody>
            <ModalFooter>
                <Button variant="danger" onClick={remove} isDisabled={busy} isLoading={busy}>{_("Remove")}</Button>
                <Button variant="link" onClick={onDone}>{_("Cancel")}</Button>
            </ModalFooter>
        </Modal>
    );
}

export async function showRemoveHostDialog(uri: string): Promise<void> {
    await openDialog<null>(done => <RemoveHostDialog uri={uri} onDone={() => done(null)} />);
}
