// "Add host": a libvirt URI or user@host, tested by the helper (op `connections`) before it is saved; once saved,
// the page watches it beside the other connections. Failures are told apart by their reason codes. A host that asks
// for a user name and password (SASL) gets them in the same form; the helper holds them for its connection.

import { Alert } from "@patternfly/react-core/dist/esm/components/Alert/index.js";
import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { Form, FormGroup, FormHelperText } from "@patternfly/react-core/dist/esm/components/Form/index.js";
import { HelperText, HelperTextItem } from "@patternfly/react-core/dist/esm/components/HelperText/index.js";
import { Modal, ModalBody, ModalFooter, ModalHeader } from "@patternfly/react-core/dist/esm/components/Modal/index.js";
import { TextInput } from "@patternfly/react-core/dist/esm/components/TextInput/index.js";
import { useState } from "react";

import { type OfferedHostKey, readHostKey, trustHostKey } from "../client/host-key.ts";
import { OpError } from "../client/one-shot.ts";
import { type Login, addConnection, wantsLogin } from "../client/saved-connections.ts";
import { reasonText } from "../connection-reasons.ts";
import { watchAnotherConnection } from "../store/feed.ts";
import { vmStore } from "../store/vm-store.ts";

import { openDialog } from "./dialog-host.tsx";
import { LoginFields, loginComplete } from "./login-fields.tsx";

const _ = cockpit.gettext;

function failureTitle(error: OpError): string {
    if (error.problem === "invalid-argument")
        return _("This is not a host or libvirt URI that can be added");
    return reasonText(error.reason) ?? _("Cannot connect to the host");
}

function AddHostDialog({ onDone }: { onDone: (uri: string | null) => void }) {
    const [target, setTarget] = useState("");
    const [busy, setBusy] = useState(false);
    const [error, setError] = useState<OpError | null>(null);
    // An unknown SSH host key awaiting the user's word: exactly this key is trusted.
    const [unknownKey, setUnknownKey] = useState<OfferedHostKey | null>(null);
    // Shown once the host asked for a user name and password.
    const [login, setLogin] = useState<Login | null>(null);

    const fail = (ex: unknown) => {
        setBusy(false);
        setError(ex instanceof OpError ? ex : new OpError("internal-error", String(ex)));
    };

    const add = () => {
        setBusy(true);
        setError(null);
        setUnknownKey(null);
        addConnection(target, login ?? undefined)
            .then(added => onDone(added.uri))
            .catch((ex: unknown) => {
                if (ex instanceof OpError && wantsLogin(ex.reason)) {
                    setLogin(current => ({ username: current?.username ?? "", password: "" }));
                    // Asked for the first time is no failure: the fields say what to do.
                    return ex.reason === "auth-needed" && login === null ? setBusy(false) : fail(ex);
                }
                if (!(ex instanceof OpError) || ex.reason !== "host-key-unknown")
                    return fail(ex);
                // Read the key once; what the page shows is what `trust` gets back.
                readHostKey(target).then(read => {
                    if (read.state === "unknown" && read.offered) {
                        setBusy(false);
                        setUnknownKey(read.offered);
                    } else {
                        fail(ex);
                    }
                }, fail);
            });
    };

    const trustAndAdd = (key: OfferedHostKey) => {
        setBusy(true);
        setError(null);
        trustHostKey(target, key)
            .then(() => addConnection(target))
            .then(added => onDone(added.uri))
            .catch((ex: unknown) => {
                setUnknownKey(null);
                fail(ex);
            });
    };

    return (
        <Modal isOpen variant="small" onClose={() => onDone(null)} aria-labelledby="virt-add-host-title">
            <ModalHeader title={_("Add host")} labelId="virt-add-host-title" />
            <ModalBody>
                <Form id="virt-add-host-form" onSubmit={ev => { ev.preventDefault(); add() }}>
                    <FormGroup label={_("Host")} fieldId="virt-add-host-target" isRequired>
                        <TextInput id="virt-add-host-target" value={target} isRequired
                                   onChange={(_ev, v) => { setTarget(v); setUnknownKey(null); setLogin(null) }}
                                   isDisabled={busy}
                                   placeholder="root@host.example" />
                        <FormHelperText>
                            <HelperText>
                                <HelperTextItem>
                                    {_("user@host connects with SSH (your keys and agent); or a libvirt URI such as qemu+tls://host/system.")}
                                </HelperTextItem>
                            </HelperText>
                        </FormHelperText>
                    </FormGroup>
                    {login && <LoginFields login={login} onChange={setLogin} isDisabled={busy} idPrefix="virt-add-host" />}
                </Form>
                {error &&
                    <Alert variant="danger" isInline title={failureTitle(error)} className="virt-add-host-error"
                           data-problem={error.problem} data-reason={error.reason ?? ""}>
                        {error.message}
                    </Alert>}
                {login && !error &&
                    <Alert variant="info" isInline title={reasonText("auth-needed") ?? ""} className="virt-add-host-login">
                        {_("The password is kept in memory for this host's connection only, never saved.")}
                    </Alert>}
                {unknownKey &&
                    <Alert variant="warning" isInline title={reasonText("host-key-unknown") ?? ""} className="virt-add-host-key">
                        <p>{_("Connecting for the first time. Compare the host key's fingerprint with the one the host shows (ssh-keygen -lf on its host key) before you trust it.")}</p>
                        <p>
                            {unknownKey.type}{" "}
                            <code className="virt-add-host-fingerprint">{unknownKey.fingerprint}</code>
                        </p>
                    </Alert>}
            </ModalBody>
            <ModalFooter>
                {unknownKey
                    ? <Button variant="primary" onClick={() => trustAndAdd(unknownKey)} isDisabled={busy}
                              isLoading={busy} className="virt-add-host-trust">
                        {busy ? _("Connecting…") : _("Trust and add")}
                    </Button>
                    : <Button variant="primary" type="submit" form="virt-add-host-form"
                              isDisabled={busy || !target.trim() || (login !== null && !loginComplete(login))}
                              isLoading={busy}>
                        {busy ? _("Connecting…") : _("Add")}
                    </Button>}
                <Button variant="link" onClick={() => onDone(null)}>{_("Cancel")}</Button>
            </ModalFooter>
        </Modal>
    );
}

/** Opens the dialog; a host it saved is watched at once. */
export async function showAddHostDialog(): Promise<void> {
    const uri = await openDialog<string | null>(done => <AddHostDialog onDone={done} />);
    if (uri)
        watchAnotherConnection(vmStore, uri);
}
