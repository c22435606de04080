// Clone a VM, or a VM as one of its snapshots held it: new name (suggested), the pool for the disks (with its free
// space), copies or qcow2 overlays; progress, and Cancel rolls everything back.

import { Checkbox } from "@patternfly/react-core/dist/esm/components/Checkbox/index.js";
import { FormGroup } from "@patternfly/react-core/dist/esm/components/Form/index.js";
import { FormSelect, FormSelectOption } from "@patternfly/react-core/dist/esm/components/FormSelect/index.js";
import { TextInput } from "@patternfly/react-core/dist/esm/components/TextInput/index.js";
import { useEffect, useState } from "react";

import { type CloneOptions, runClone } from "../../client/snapshot.ts";
import { formatBytes } from "../../format.ts";
import { addNotice } from "../../store/notices.ts";
import type { Vm } from "../../types.ts";
import { openDialog } from "../dialog-host.tsx";

import { JobDialog } from "./job-dialog.tsx";

const _ = cockpit.gettext;

interface CloneResult { vm: { id: string; name: string } }

function CloneDialog({ vm, snapshot, onDone }: { vm: Vm; snapshot: string | null; onDone: (ok: boolean) => void }) {
    const [options, setOptions] = useState<CloneOptions | null>(null);
    const [name, setName] = useState<string | null>(null);
    const [pool, setPool] = useState<string | null>(null);
    const [overlay, setOverlay] = useState(false);
    useEffect(() => {
        let live = true;
        runClone<CloneOptions>(vm.uri, vm.id, "options").done.then(o => { if (live) setOptions(o) },
                                                                   (ex: unknown) => console.warn("virt: clone options", ex));
        return () => { live = false };
    }, [vm.uri, vm.id]);
    const chosenName = name ?? options?.suggestedName ?? "";
    const chosenPool = pool ?? options?.pool ?? "";
    const title = snapshot
        ? cockpit.format(_("Clone $0 from snapshot $1"), vm.name, snapshot)
        : cockpit.format(_("Clone $0"), vm.name);

    return (
        <JobDialog<CloneResult> id="virt-clone" title={title} submitLabel={_("Clone")}
                   onDone={r => {
                       if (r)
                           addNotice({ variant: "info", title: cockpit.format(_("Created $0"), r.vm.name), details: [] });
                       onDone(r !== null);
                   }}
                   start={onProgress => runClone(vm.uri, vm.id, "clone", {
                       name: chosenName, pool: chosenPool, overlay, ...snapshot ? { snapshot } : {},
                   }, onProgress)}>
            <FormGroup label={_("Name")} fieldId="virt-clone-name" isRequired>
                <TextInput id="virt-clone-name" value={chosenName} onChange={(_ev, v) => setName(v)} />
            </FormGroup>
            <FormGroup label={_("Storage pool for the disks")} fieldId="virt-clone-pool">
                <FormSelect id="virt-clone-pool" value={chosenPool} onChange={(_ev, v) => setPool(v)}>
                    {(options?.pools ?? []).map(p =>
                        <FormSelectOption key={p.name} value={p.name}
                                          label={cockpit.format(_("$0 ($1 free)"), p.name, formatBytes(p.free))} />)}
                </FormSelect>
            </FormGroup>
            {!snapshot &&
                <Checkbox id="virt-clone-overlay" isChecked={overlay} onChange={(_ev, v) => setOverlay(v)}
                          label={_("Overlays instead of copies (qcow2 files that read unchanged data from the original's disks)")} />}
            {options?.running && !snapshot &&
                <div className="virt-secondary">{_("Shut the VM down first: its disks change while it runs.")}</div>}
        </JobDialog>
    );
}

export function showClone(vm: Vm, snapshot: string | null = null): Promise<boolean> {
    return openDialog<boolean>(done => <CloneDialog vm={vm} snapshot={snapshot} onDone={done} />);
}
