// Pending changes: a running VM whose saved definition (its next boot, the watch's `saved`) differs from what runs
// gets a banner with "Shut down and restart", and each such setting on the Overview card shows its next value.

import { Alert, AlertActionLink } from "@patternfly/react-core/dist/esm/components/Alert/index.js";
import { Label } from "@patternfly/react-core/dist/esm/components/Label/index.js";
import { useEffect, useRef, useState } from "react";

import { ACTIONS, performAction } from "../actions.ts";
import { showConfirmActionDialog } from "../dialogs/confirm-action.tsx";
import { formatBytes } from "../format.ts";
import type { SavedConfig, Vm, VmTopology, VmVsock } from "../types.ts";

import { requestedVsock, tpmText, vsockText, watchdogText } from "./guest-device-text.ts";

const _ = cockpit.gettext;

type NextBootField = "vcpus" | "memory" | "maxMemory" | "topology" | "firmware" | "title" | "tpm" | "watchdog" | "vsock";

/** The saved value, comparable with the running one (an automatic vsock CID is that run's only). */
function comparable(field: NextBootField, value: unknown): string | undefined {
    return JSON.stringify(field === "vsock" ? requestedVsock(value as VmVsock | undefined) : value);
}

function savedText(saved: SavedConfig, field: NextBootField): string {
    switch (field) {
    case "memory":
    case "maxMemory":
        return formatBytes(saved[field]);
    case "topology": return saved.topology ? topologyText(saved.topology) : _("default topology");
    case "firmware": return saved.firmware === "efi" ? "UEFI" : "BIOS";
    case "tpm": return saved.tpm ? tpmText(saved.tpm) : _("no TPM");
    case "watchdog": return saved.watchdog ? watchdogText(saved.watchdog) : _("no watchdog");
    case "vsock": return saved.vsock ? vsockText(saved.vsock) : _("no vsock");
    default: return String(saved[field]);
    }
}

/** "Next boot: …" beside a setting whose saved value differs from the running one. */
export function NextBoot({ vm, field }: { vm: Vm; field: NextBootField }) {
    const saved = vm.saved;
    if (!saved || comparable(field, saved[field]) === comparable(field, vm[field]))
        return null;
    return (
        <Label isCompact color="blue" className="virt-next-boot" id={`virt-next-boot-${field}`}>
            {cockpit.format(field === "maxMemory" ? _("Maximum at next boot: $0") : _("Next boot: $0"), savedText(saved, field))}
        </Label>
    );
}

/** "1 socket × 2 cores × 2 threads" (dies only when more than one). */
export function topologyText(t: VmTopology): string {
    const parts = [cockpit.format(cockpit.ngettext("$0 socket", "$0 sockets", t.sockets), t.sockets)];
    if (t.dies > 1)
        parts.push(cockpit.format(cockpit.ngettext("$0 die", "$0 dies", t.dies), t.dies));
    parts.push(cockpit.format(cockpit.ngettext("$0 core", "$0 cores", t.cores), t.cores));
    parts.push(cockpit.format(cockpit.ngettext("$0 thread", "$0 threads", t.threads), t.threads));
    return parts.join(" × ");
}

const RESTART = {
    ...ACTIONS.shutdown,
    confirm: {
        title: (name: string) => cockpit.format(_("Shut down and restart $0?"), name),
        body: _("The guest operating system is asked to shut down. Once it is off, the VM starts again with its saved settings."),
        button: _("Shut down and restart"),
        danger: false,
    },
};

export function PendingChanges({ vm }: { vm: Vm }) {
    const [restarting, setRestarting] = useState(false);
    const starting = useRef(false);

    useEffect(() => {
        if (restarting && vm.state === "shutoff" && !starting.current) {
            starting.current = true;
            performAction(vm, ACTIONS.start)
                    .catch((ex: unknown) => console.error("virt: restart", ex))
                    .finally(() => {
                        starting.current = false;
                        setRestarting(false);
                    });
        }
    }, [restarting, vm]);

    if (!restarting && (!vm.saved || vm.state === "shutoff"))
        return null;

    const restart = async () => {
        if (!await showConfirmActionDialog(vm, RESTART))
            return;
        setRestarting(true);
        await performAction(vm, ACTIONS.shutdown);
    };

    return (
        <Alert variant="info" isInline className="virt-pending-changes"
               title={restarting ? _("Waiting for the VM to shut down, then it starts again") : _("Changes take effect after the VM shuts down")}
               actionLinks={restarting
                   ? undefined
                   : <AlertActionLink id="virt-pending-restart"
                                      onClick={() => { restart().catch((ex: unknown) => console.error("virt: restart", ex)) }}>
                       {_("Shut down and restart")}
                   </AlertActionLink>} />
    );
}
