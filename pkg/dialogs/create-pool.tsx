// "Create storage pool": a directory pool (name, path, autostart). The helper validates (name in use, path
// missing or not a directory) and its verdict is shown as it gives it.

import { Alert } from "@patternfly/react-core/dist/esm/components/Alert/index.js";
import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { Checkbox } from "@patternfly/react-core/dist/esm/components/Checkbox/index.js";
import { Form, FormGroup, FormHelperText } from "@patternfly/react-core/dist/esm/components/Form/index.js";
import { FormSelect, FormSelectOption } from "@patternfly/react-core/dist/esm/components/FormSelect/index.js";
import { HelperText, HelperTextItem } from "@patternfly/react-core/dist/esm/components/HelperText/index.js";
import { Modal, ModalBody, ModalFooter, ModalHeader } from "@patternfly/react-core/dist/esm/components/Modal/index.js";
import { TextInput } from "@patternfly/react-core/dist/esm/components/TextInput/index.js";
import { useState } from "react";

import { runPoolAction } from "../client/resource-ops.ts";
import { connectionLabel } from "../connections.ts";

import { openDialog } from "./dialog-host.tsx";

const _ = cockpit.gettext;

function CreatePoolDialog({ uris, onDone }: { uris: readonly string[]; onDone: () => void }) {
    const [uri, setUri] = useState(uris[0] ?? "");
    const [name, setName] = useState("");
    const [path, setPath] = useState("");
    const [autostart, setAutostart] = useState(true);
    const [error, setError] = useState<string | null>(null);
    const [busy, setBusy] = useState(false);

    const submit = async () => {
        setBusy(true);
        setError(null);
        try {
            await runPoolAction(uri, name, "create", { type: "dir", path, autostart });
            onDone();
        } catch (ex) {
            setError(ex instanceof Error ? ex.message : String(ex));
        } finally {
            setBusy(false);
        }
    };

    return (
        <Modal isOpen variant="small" onClose={onDone} aria-labelledby="virt-create-pool-title"
               data-test="create-pool-dialog">
            <ModalHeader title={_("Create storage pool")} labelId="virt-create-pool-title" />
            <ModalBody>
                <Form id="virt-create-pool-form" onSubmit={ev => { ev.preventDefault(); void submit() }}>
                    {error && <Alert variant="danger" isInline title={_("The pool was not created")}
                                     data-test="create-pool-error">{error}</Alert>}
                    {uris.length > 1 &&
                        <FormGroup label={_("Connection")} fieldId="create-pool-connection">
                            <FormSelect id="create-pool-connection" value={uri} onChange={(_ev, v) => setUri(v)}>
                                {uris.map(u => <FormSelectOption key={u} value={u} label={connectionLabel(u)} />)}
                            </FormSelect>
                        </FormGroup>}
                    <FormGroup label={_("Name")} isRequired fieldId="create-pool-name">
                        <TextInput id="create-pool-name" value={name} onChange={(_ev, v) => setName(v)} isRequired />
                    </FormGroup>
                    <FormGroup label={_("Type")} fieldId="create-pool-type">
                        <FormSelect id="create-pool-type" value="dir" isDisabled>
                            <FormSelectOption value="dir" label={_("Directory on the host")} />
                        </FormSelect>
                        <FormHelperText>
                            <HelperText>
                                <HelperTextItem>
                                    {_("Other types (file system, NFS, LVM volume group, iSCSI) can be defined with virsh; they show here once defined.")}
                                </HelperTextItem>
                            </HelperText>
                        </FormHelperText>
                    </FormGroup>
                    <FormGroup label={_("Directory")} isRequired fieldId="create-pool-path">
                        <TextInput id="create-pool-path" value={path} onChange={(_ev, v) => setPath(v)}
                                   placeholder="/var/lib/libvirt/images" isRequired />
                    </FormGroup>
                    <Checkbox id="create-pool-autostart" label={_("Start at boot")} isChecked={autostart}
                              onChange={(_ev, v) => setAutostart(v)} />
                </Form>
            </ModalBody>
            <ModalFooter>
                <Button variant="primary" type="submit" form="virt-create-pool-form" isLoading={busy}
                        isDisabled={busy || !name || !path} id="create-pool-submit">
                    {_("Create")}
                </Button>
                <Button variant="link" onClick={onDone}>{_("Cancel")}</Button>
            </ModalFooter>
        </Modal>
    );
}

export function showCreatePoolDialog(uris: readonly string[]): Promise<void> {
    return openDialog<undefined>(done => <CreatePoolDialog uris={uris} onDone={() => done(undefined)} />);
}
