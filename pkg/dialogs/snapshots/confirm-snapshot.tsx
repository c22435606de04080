// Revert to a snapshot (optionally forced) or delete one (optionally with its descendants), after confirmation.

import { Checkbox } from "@patternfly/react-core/dist/esm/components/Checkbox/index.js";
import { Content } from "@patternfly/react-core/dist/esm/components/Content/index.js";
import { useState } from "react";

import { type Snapshot, runSnapshot } from "../../client/snapshot.ts";
import type { Vm } from "../../types.ts";
import { openDialog } from "../dialog-host.tsx";

import { JobDialog } from "./job-dialog.tsx";

const _ = cockpit.gettext;

function RevertDialog({ vm, snapshot, onDone }: { vm: Vm; snapshot: Snapshot; onDone: (ok: boolean) => void }) {
    const [force, setForce] = useState(false);
    return (
        <JobDialog id="virt-revert-snapshot" variant="small" danger
                   title={cockpit.format(_("Revert $0 to snapshot $1?"), vm.name, snapshot.name)}
                   submitLabel={_("Revert")} onDone={r => onDone(r !== null)}
                   start={onProgress => runSnapshot(vm.uri, vm.id, "revert", { name: snapshot.name, force }, onProgress)}>
            <Content component="p">
                {_("Everything the VM did since the snapshot is lost, unless another snapshot holds it.")}
            </Content>
            <Checkbox id="virt-revert-snapshot-force" isChecked={force} onChange={(_ev, v) => setForce(v)}
                      label={_("Force (when libvirt refuses a normal revert, e.g. a snapshot without a full VM definition)")} />
        </JobDialog>
    );
}

function DeleteDialog({ vm, snapshot, hasChildren, onDone }: {
    vm: Vm; snapshot: Snapshot; hasChildren: boolean; onDone: (ok: boolean) => void;
}) {
    const [children, setChildren] = useState(false);
    return (
        <JobDialog id="virt-delete-snapshot" variant="small" danger
                   title={cockpit.format(_("Delete snapshot $0?"), snapshot.name)}
                   submitLabel={_("Delete")} onDone={r => onDone(r !== null)}
                   start={onProgress => runSnapshot(vm.uri, vm.id, "delete", { name: snapshot.name, children }, onProgress)}>
            <Content component="p">
                {snapshot.location === "external"
                    ? _("Its overlay files are merged into the disk images below them and removed.")
                    : _("Its data is removed from the disk images.")}
            </Content>
            {hasChildren &&
                <Checkbox id="virt-delete-snapshot-children" isChecked={children}
                          onChange={(_ev, v) => setChildren(v)} label={_("Also delete the snapshots made after it on this branch")} />}
        </JobDialog>
    );
}

export function confirmRevert(vm: Vm, snapshot: Snapshot): Promise<boolean> {
    return openDialog<boolean>(done => <RevertDialog vm={vm} snapshot={snapshot} onDone={done} />);
}

export function confirmDelete(vm: Vm, snapshot: Snapshot, hasChildren: boolean): Promise<boolean> {
    return openDialog<boolean>(done => <DeleteDialog vm={vm} snapshot={snapshot} hasChildren={hasChildren} onDone={done} />);
}
