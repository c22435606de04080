// Pending changes: a running VM whose saved definition (its next boot, the watch's `saved`) differs from what runs
// gets a banner with "Shut down and restart", and each such setting on the Overview card shows its next value.

import { Alert, AlertActionLink } from "@patternfly/react-core/dist/esm/components/Alert/index.js";
import { Label } from "@patternfly/react-core/dist/esm/components/Label/index.js";
import { useEffect, useRef, useState } from "react";

import { ACTIONS, performAction } from "../actions.ts";
import { showConfirmActionDialog } from "../dialogs/confirm-action.tsx";
import { formatBytes } from "../format.ts";
import type { Vm, VmTopology } from "../types.ts";

const _ = cockpit.gettext;

/** "Next boot: …" beside a setting whose saved value differs from the running one. */
export function NextBoot({ vm, field }: { vm: Vm; field: "vcpus" | "memory" | "maxMemory" | "topology" | "firmware" | "title" }) {
    const saved = vm.saved;
    if (!saved || JSON.stringify(saved[field]) === JSON.stringify(vm[field]))
        return null;
    let value: string;
    if (field === "memory" || field === "maxMemory")
        value = formatBytes(saved[field]);
    else if (field === "topology")
        value = saved.topology ? topologyText(saved.topology) : _("default topology");
    else if (field === "firmware")
        value = saved.firmware === "efi" ? "UEFI" : "BIOS";
    else
        value = String(saved[field]);
    return (
        <Label isCompact color="blue" className="virt-next-boot" id={`virt-next-boot-${field}`}>
            {cockpit.format(field === "maxMemory" ? _("Maximum at next boot: $0") : _("Next boot: $0"), value)}
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
