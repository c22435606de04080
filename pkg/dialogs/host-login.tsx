// "Log in" to a saved host that asks for a user name and password (SASL): the helper holds them for that host's
// connection (op `connections` reconnect) and connects at once; a refusal shows the host's own message and the
// form again.

import { Alert } from "@patternfly/react-core/dist/esm/components/Alert/index.js";
import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { Form } from "@patternfly/react-core/dist/esm/components/Form/index.js";
import { Modal, ModalBody, ModalFooter, ModalHeader } from "@patternfly/react-core/dist/esm/components/Modal/index.js";
import { useState } from "react";

import { OpError } from "../client/one-shot.ts";
import { type Login, reconnectConnection } from "../client/saved-connections.ts";
import { reasonText } from "../connection-reasons.ts";
import { connectionLabel } from "../connections.ts";

import { openDialog } from "./dialog-host.tsx";
import { LoginFields, loginComplete } from "./login-fields.tsx";

const _ = cockpit.gettext;

interface Failure { reason: string | null; message: string }

function HostLoginDialog({ uri, onDone }: { uri: string; onDone: () => void }) {
    const [login, setLogin] = useState<Login>({ username: "", password: "" });
    const [busy, setBusy] = useState(false);
    const [failure, setFailure] = useState<Failure | null>(null);
    const label = connectionLabel(uri);

    const submit = () => {
        setBusy(true);
        setFailure(null);
        reconnectConnection(uri, login)
            .then(outcome => {
                if (outcome.state === "connected")
                    return onDone();
                setBusy(false);
                setLogin({ ...login, password: "" });
                setFailure({ reason: outcome.reason, message: outcome.message ?? "" });
            })
            .catch((ex: unknown) => {
                setBusy(false);
                setFailure(ex instanceof OpError
                    ? { reason: ex.reason ?? (ex.problem === "invalid-argument" ? ex.problem : null), message: ex.message }
                    : { reason: null, message: String(ex) });
            });
    };

    const title = failure
        ? reasonText(failure.reason) ??
            (failure.reason === "invalid-argument" ? _("Check the user name and password") : _("Cannot connect to the host"))
        : null;
    return (
        <Modal isOpen variant="small" onClose={onDone} aria-labelledby="virt-host-login-title"
               className="virt-host-login-dialog">
            <ModalHeader title={cockpit.format(_("Log in to $0"), label)} labelId="virt-host-login-title"
                         description={_("The password is kept in memory for this host's connection only, never saved.")} />
            <ModalBody>
                <Form id="virt-host-login-form" onSubmit={ev => { ev.preventDefault(); submit() }}>
                    <LoginFields login={login} onChange={setLogin} isDisabled={busy} idPrefix="virt-host-login" />
                </Form>
                {failure && title &&
                    <Alert variant="danger" isInline title={title} className="virt-host-login-error"
                           data-reason={failure.reason ?? ""}>
                        {failure.message}
                    </Alert>}
            </ModalBody>
            <ModalFooter>
                <Button variant="primary" type="submit" form="virt-host-login-form"
                        isDisabled={busy || !loginComplete(login)} isLoading={busy}>
                    {busy ? _("Connecting…") : _("Log in")}
                </Button>
                <Button variant="link" onClick={onDone}>{_("Cancel")}</Button>
            </ModalFooter>
        </Modal>
    );
}

export async function showHostLoginDialog(uri: string): Promise<void> {
    await openDialog<null>(done => <HostLoginDialog uri={uri} onDone={() => done(null)} />);
}
