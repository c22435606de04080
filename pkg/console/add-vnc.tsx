// "Add VNC display" for a VM whose display the console cannot show (none, or SPICE only). The helper edits the
// persistent definition (action `add-vnc`); a running VM shows it after its next start, which we say, and
// remember for this page load because the running VM's devices do not change until then.

import { Alert, AlertActionLink } from "@patternfly/react-core/dist/esm/components/Alert/index.js";
import { useState } from "react";

import { runAction } from "../client/action.ts";
import type { Vm } from "../types.ts";

import { graphicsOf } from "./devices.ts";

const _ = cockpit.gettext;

/** VMs given a display that appears at their next start, by id. */
const addedForNextStart = new Set<string>();

export function AddVncAlert({ vm }: { vm: Vm }) {
    const [busy, setBusy] = useState(false);
    const [error, setError] = useState<string | null>(null);
    const [pending, setPending] = useState(addedForNextStart.has(vm.id));

    if (pending && vm.state !== "shutoff")
        return (
            <Alert isInline variant="info" className="virt-add-vnc-pending"
                   title={_("A VNC display was added. It appears when the VM next starts (shut it down, then run it).")} />
        );

    const spice = graphicsOf(vm).some(g => g.type === "spice");
    const add = () => {
        setBusy(true);
        setError(null);
        runAction(vm.uri, vm.id, "add-vnc")
                .then(result => {
                    if (result.next_start) {
                        addedForNextStart.add(vm.id);
                        setPending(true);
                    }
                })
                .catch((ex: unknown) => setError(ex instanceof Error ? ex.message : String(ex)))
                .finally(() => setBusy(false));
    };
    return (
        <Alert isInline variant={error ? "danger" : "info"} className="virt-add-vnc"
               title={spice
                   ? _("This VM's display is SPICE, which cannot be shown here.")
                   : _("This VM has no graphical display (VNC).")}
               actionLinks={
                   <AlertActionLink onClick={add} isDisabled={busy} className="virt-add-vnc-button">
                       {busy ? _("Adding…") : _("Add VNC display")}
                   </AlertActionLink>
               }>
            {error
                ? cockpit.format(_("Could not add a VNC display: $0"), error)
                : vm.persistent
                    ? _("A VNC display on a local socket lets this page show the console. It needs no network port.")
                    : _("This VM is transient, so a display cannot be added to its definition.")}
        </Alert>
    );
}
