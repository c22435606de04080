// The frame every device dialog shares: title, fields, where the change applies (now, next boot, both), the
// helper's verdict (libvirt's message) inline, and one device op on submit. The helper validates; this only shows.

import { Alert } from "@patternfly/react-core/dist/esm/components/Alert/index.js";
import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { Checkbox } from "@patternfly/react-core/dist/esm/components/Checkbox/index.js";
import { Form, FormGroup } from "@patternfly/react-core/dist/esm/components/Form/index.js";
import { Modal, ModalBody, ModalFooter, ModalHeader } from "@patternfly/react-core/dist/esm/components/Modal/index.js";
import type React from "react";
import { useState } from "react";

import { type DeviceAction, DeviceError, type DeviceParams, type DeviceResult, runDevice } from "../../client/device.ts";
import { deviceChanged } from "../../store/device-changes.ts";
import { addNotice } from "../../store/notices.ts";
import { type Vm, isActive } from "../../types.ts";
import { openDialog } from "../dialog-host.tsx";

const _ = cockpit.gettext;

/** "now and at the next boot", "now only", "at the next boot" */
export function whereText(result: { live: boolean; config: boolean }): string {
    if (result.live && result.config)
        return _("now and at the next boot");
    return result.live ? _("now only (not at the next boot)") : _("at the next boot");
}

function ApplyChoice({ vm, live, config, onChange }: {
    vm: Vm; live: boolean; config: boolean; onChange: (live: boolean, config: boolean) => void;
}) {
    const active = isActive(vm.state);
    if (!active)
        return <FormGroup label={_("Applies")}>{_("At the next boot (the VM is shut off)")}</FormGroup>;
    if (!vm.persistent)
        return <FormGroup label={_("Applies")}>{_("Now only (the VM is transient: it has no next boot)")}</FormGroup>;
    return (
        <FormGroup label={_("Applies")} role="group" isInline fieldId="virt-device-live">
            <Checkbox id="virt-device-live" label={_("Now")} isChecked={live}
                      onChange={(_ev, checked) => onChange(checked, config)} />
            <Checkbox id="virt-device-config" label={_("At the next boot")} isChecked={config}
                      onChange={(_ev, checked) => onChange(live, checked)} />
        </FormGroup>
    );
}

export interface DeviceDialogProps {
    vm: Vm;
    /** element id prefix; tests find dialogs by it */
    id: string;
    title: string;
    submitLabel: string;
    action: DeviceAction;
    /** the op's parameters from the fields, at submit */
    params: () => DeviceParams;
    /** offer now / next boot (changes that always apply to the image itself, like a resize, do not) */
    chooseScope?: boolean;
    danger?: boolean;
    /** the line for the notice after success */
    successTitle: (result: DeviceResult) => string;
    onDone: (result: DeviceResult | null) => void;
    children?: React.ReactNode;
}

export function DeviceDialog({ vm, id, title, submitLabel, action, params, chooseScope = true, danger, successTitle, onDone, children }: DeviceDialogProps) {
    const [busy, setBusy] = useState(false);
    const [failure, setFailure] = useState<string | null>(null);
    const [scope, setScope] = useState({ live: isActive(vm.state), config: vm.persistent });

    const submit = () => {
        setBusy(true);
        setFailure(null);
        const where: DeviceParams = chooseScope && isActive(vm.state) && vm.persistent ? { ...scope } : {};
        runDevice(vm.uri, vm.id, action, { ...params(), ...where }).then(result => {
            deviceChanged();
            const details = result.storageError ? [result.storageError] : [];
            if (result.pending)
                details.push(_("The guest has not released the device yet; it disappears when the guest lets go of it."));
            addNotice({ variant: result.storageError ? "warning" : "info", title: successTitle(result), details });
            onDone(result);
        }, (ex: unknown) => {
            setBusy(false);
            setFailure(ex instanceof DeviceError || ex instanceof Error ? ex.message : String(ex));
        });
    };

    return (
        <Modal isOpen variant="medium" onClose={() => onDone(null)} aria-labelledby={`${id}-title`} id={id}>
            <ModalHeader title={title} labelId={`${id}-title`} {...danger ? { titleIconVariant: "warning" } : {}} />
            <ModalBody>
                <Form isHorizontal onSubmit={ev => { ev.preventDefault(); submit() }}>
                    {children}
                    {chooseScope &&
                        <ApplyChoice vm={vm} live={scope.live} config={scope.config}
                                     onChange={(live, config) => setScope({ live, config })} />}
                    {failure &&
                        <Alert isInline variant="danger" title={_("The change was not made")} className="virt-device-failure">
                            {failure}
                        </Alert>}
                </Form>
            </ModalBody>
            <ModalFooter>
                <Button variant={danger ? "danger" : "primary"} onClick={submit} isLoading={busy} isDisabled={busy}
                        id={`${id}-submit`}>
                    {submitLabel}
                </Button>
                <Button variant="link" onClick={() => onDone(null)}>{_("Cancel")}</Button>
            </ModalFooter>
        </Modal>
    );
}

/** Opens a device dialog; resolves with the helper's answer, or null when cancelled. */
export function openDeviceDialog(render: (done: (result: DeviceResult | null) => void) => React.ReactElement): Promise<DeviceResult | null> {
    return openDialog<DeviceResult | null>(render);
}
