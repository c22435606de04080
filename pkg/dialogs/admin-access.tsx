// Turns on the shell's Administrative access from the page: the shell's superuser service (cockpit.Superuser on
// its internal bus) starts its privileged bridge and asks for the password through Prompt signals, answered here.
// The shell's own indicator follows by itself; so does the page (client/transport/privilege.ts).

import { Alert } from "@patternfly/react-core/dist/esm/components/Alert/index.js";
import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { Form, FormGroup } from "@patternfly/react-core/dist/esm/components/Form/index.js";
import { Modal, ModalBody, ModalFooter, ModalHeader } from "@patternfly/react-core/dist/esm/components/Modal/index.js";
import { Spinner } from "@patternfly/react-core/dist/esm/components/Spinner/index.js";
import { TextInput } from "@patternfly/react-core/dist/esm/components/TextInput/index.js";
import { useEffect, useRef, useState } from "react";

import { privilege } from "../client/transport/privilege.ts";

import { openDialog } from "./dialog-host.tsx";

const _ = cockpit.gettext;

interface Prompt {
    message: string;
    prompt: string;
    echo: boolean;
}

type Call = (...args: string[]) => Promise<unknown>;

function method(proxy: cockpit.DBusProxy, name: string): Call {
    const fn = proxy[name];
    if (typeof fn !== "function")
        throw new Error(`cockpit.Superuser has no ${name}()`);
    return fn.bind(proxy) as Call;
}

/** The first configured way up: the shell lists its privileged bridges ("sudo", "pkexec") in Bridges. */
function firstBridge(proxy: cockpit.DBusProxy): string | null {
    const bridges = proxy.Bridges;
    return Array.isArray(bridges) && typeof bridges[0] === "string" ? bridges[0] : null;
}

function AdminAccessDialog({ onDone }: { onDone: (on: boolean) => void }) {
    const [unavailable] = useState(() => !privilege.proxy || !firstBridge(privilege.proxy));
    const [prompt, setPrompt] = useState<Prompt | null>(null);
    const [error, setError] = useState<string | null>(
        unavailable ? _("No way to gain administrative access is set up on this machine (sudo or pkexec).") : null);
    const [busy, setBusy] = useState(!unavailable);
    const [value, setValue] = useState("");
    const proxyRef = useRef<cockpit.DBusProxy | null>(null);

    useEffect(() => {
        const proxy = privilege.proxy;
        proxyRef.current = proxy;
        const bridge = proxy ? firstBridge(proxy) : null;
        if (!proxy || !bridge)
            return;
        let live = true;
        const onPrompt = (_ev: Event, message: string, promptText: string, def: string, echo: boolean, err: string) => {
            if (!live)
                return;
            setBusy(false);
            setPrompt({ message, prompt: promptText || _("Password"), echo });
            setValue(def);
            setError(err || null);
        };
        proxy.addEventListener("Prompt", onPrompt);
        method(proxy, "Stop")()
                .catch(() => undefined)
                .then(() => method(proxy, "Start")(bridge))
                .then(() => { if (live) onDone(true) },
                      (ex: unknown) => {
                          if (!live)
                              return;
                          const message = ex instanceof Error ? ex.message : String(ex);
                          if (message === "cancelled") {
                              onDone(false);
                          } else {
                              setBusy(false);
                              setPrompt(null);
                              setError(message);
                          }
                      });
        return () => {
            live = false;
            proxy.removeEventListener("Prompt", onPrompt);
        };
    }, [onDone]);

    const answer = () => {
        const proxy = proxyRef.current;
        if (!proxy)
            return;
        setBusy(true);
        setError(null);
        method(proxy, "Answer")(value).catch((ex: unknown) => setError(String(ex)));
    };

    const cancel = () => {
        // Stop ends a Start still waiting for its password; with nothing started it does no harm.
        const proxy = proxyRef.current;
        if (proxy && !unavailable)
            method(proxy, "Stop")().catch(() => undefined);
        onDone(false);
    };

    return (
        <Modal isOpen variant="small" onClose={cancel} aria-labelledby="virt-admin-access-title"
               id="virt-admin-access-dialog">
            <ModalHeader title={_("Turn on administrative access")} labelId="virt-admin-access-title" />
            <ModalBody>
                {error && <Alert isInline variant="danger" title={error} className="virt-admin-access-error" />}
                {busy && !prompt && <Spinner size="lg" aria-label={_("Starting")} />}
                {prompt &&
                    <Form onSubmit={ev => { ev.preventDefault(); answer() }}>
                        {prompt.message && <p>{prompt.message}</p>}
                        <FormGroup label={prompt.prompt} fieldId="virt-admin-access-password">
                            <TextInput id="virt-admin-access-password" autoFocus
                                       type={prompt.echo ? "text" : "password"} value={value} isDisabled={busy}
                                       onChange={(_ev, v) => setValue(v)} />
                        </FormGroup>
                    </Form>}
            </ModalBody>
            <ModalFooter>
                {prompt && <Button variant="primary" onClick={answer} isDisabled={busy} isLoading={busy}>
                    {_("Authenticate")}
                </Button>}
                <Button variant="link" onClick={cancel}>{_("Cancel")}</Button>
            </ModalFooter>
        </Modal>
    );
}

/** Resolves true once Administrative access is on, false when cancelled. */
export function showAdminAccessDialog(): Promise<boolean> {
    return openDialog<boolean>(done => <AdminAccessDialog onDone={done} />);
}
