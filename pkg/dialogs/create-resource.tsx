// The frame the "Create network" and "Create storage pool" dialogs share: the modal, the form with the
// connection picker (several connections only), the helper's verdict as an alert, and the busy Create button.
// Element ids and data-test names derive from `kind`, e.g. `create-network-submit`.

import { Alert } from "@patternfly/react-core/dist/esm/components/Alert/index.js";
import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { Form, FormGroup } from "@patternfly/react-core/dist/esm/components/Form/index.js";
import { FormSelect, FormSelectOption } from "@patternfly/react-core/dist/esm/components/FormSelect/index.js";
import { Modal, ModalBody, ModalFooter, ModalHeader } from "@patternfly/react-core/dist/esm/components/Modal/index.js";
import { type ReactNode, useState } from "react";

import { OpError } from "../client/one-shot.ts";
import { connectionLabel } from "../connections.ts";

const _ = cockpit.gettext;

interface CreateResourceDialogProps {
    kind: "network" | "pool";
    title: string;
    /** the alert's title when the helper refuses */
    errorTitle: string;
    uris: readonly string[];
    uri: string;
    onUri: (uri: string) => void;
    /** the form holds what the helper needs to try */
    ready: boolean;
    /** asks the helper; a rejection is its verdict, shown as given */
    create: () => Promise<unknown>;
    onDone: () => void;
    /** the fields after the connection picker */
    children: ReactNode;
}

export function CreateResourceDialog({ kind, title, errorTitle, uris, uri, onUri, ready, create, onDone, children }: CreateResourceDialogProps) {
    const [error, setError] = useState<{ message: string; problem: string } | null>(null);
    const [busy, setBusy] = useState(false);

    const submit = async () => {
        setBusy(true);
        setError(null);
        try {
            await create();
            onDone();
        } catch (ex) {
            setError({ message: ex instanceof Error ? ex.message : String(ex), problem: ex instanceof OpError ? ex.problem : "" });
        } finally {
            setBusy(false);
        }
    };

    return (
        <Modal isOpen variant="small" onClose={onDone} aria-labelledby={`virt-create-${kind}-title`}
               data-test={`create-${kind}-dialog`}>
            <ModalHeader title={title} labelId={`virt-create-${kind}-title`} />
            <ModalBody>
                <Form id={`virt-create-${kind}-form`} onSubmit={ev => { ev.preventDefault(); void submit() }}>
                    {error && <Alert variant="danger" isInline title={errorTitle}
                                     data-test={`create-${kind}-error`} data-problem={error.problem}>{error.message}</Alert>}
                    {uris.length > 1 &&
                        <FormGroup label={_("Connection")} fieldId={`create-${kind}-connection`}>
                            <FormSelect id={`create-${kind}-connection`} value={uri} onChange={(_ev, v) => onUri(v)}>
                                {uris.map(u => <FormSelectOption key={u} value={u} label={connectionLabel(u)} />)}
                            </FormSelect>
                        </FormGroup>}
                    {children}
                </Form>
            </ModalBody>
            <ModalFooter>
                <Button variant="primary" type="submit" form={`virt-create-${kind}-form`} isLoading={busy}
                        isDisabled={busy || !ready} id={`create-${kind}-submit`}>
                    {_("Create")}
                </Button>
                <Button variant="link" onClick={onDone}>{_("Cancel")}</Button>
            </ModalFooter>
        </Modal>
    );
}
