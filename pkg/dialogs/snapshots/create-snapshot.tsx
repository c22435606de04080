// Create a snapshot: name (suggested by the helper), description, internal or external (what the VM allows), the
// running VM's memory, and where external files go with the free space there.

import { Checkbox } from "@patternfly/react-core/dist/esm/components/Checkbox/index.js";
import { FormGroup } from "@patternfly/react-core/dist/esm/components/Form/index.js";
import { Radio } from "@patternfly/react-core/dist/esm/components/Radio/index.js";
import { TextArea } from "@patternfly/react-core/dist/esm/components/TextArea/index.js";
import { TextInput } from "@patternfly/react-core/dist/esm/components/TextInput/index.js";
import { useEffect, useState } from "react";

import { type SnapshotOptions, runSnapshot } from "../../client/snapshot.ts";
import { formatBytes } from "../../format.ts";
import type { Vm } from "../../types.ts";
import { openDialog } from "../dialog-host.tsx";

import { JobDialog } from "./job-dialog.tsx";

const _ = cockpit.gettext;

function CreateSnapshotDialog({ vm, onDone }: { vm: Vm; onDone: (ok: boolean) => void }) {
    const [options, setOptions] = useState<SnapshotOptions | null>(null);
    const [name, setName] = useState<string | null>(null);
    const [description, setDescription] = useState("");
    const [location, setLocation] = useState<"internal" | "external" | null>(null);
    const [memory, setMemory] = useState<boolean | null>(null);
    useEffect(() => {
        let live = true;
        runSnapshot<SnapshotOptions>(vm.uri, vm.id, "options").done.then(o => { if (live) setOptions(o) },
                                                                         (ex: unknown) => console.warn("virt: snapshot options", ex));
        return () => { live = false };
    }, [vm.uri, vm.id]);
    const chosenLocation = location ?? options?.location ?? "internal";
    const withMemory = memory ?? options?.memory ?? false;
    const where = options?.directory
        ? options.free !== null
            ? cockpit.format(_("$0 ($1 free)"), options.directory, formatBytes(options.free))
            : options.directory
        : "–";

    return (
        <JobDialog id="virt-create-snapshot" title={cockpit.format(_("Create snapshot of $0"), vm.name)}
                   submitLabel={_("Create")} onDone={r => onDone(r !== null)}
                   start={onProgress => runSnapshot(vm.uri, vm.id, "create", {
                       name: name ?? options?.suggestedName ?? "", description, location: chosenLocation,
                       ...options?.running ? { memory: withMemory } : {},
                   }, onProgress)}>
            <FormGroup label={_("Name")} fieldId="virt-create-snapshot-name" isRequired>
                <TextInput id="virt-create-snapshot-name" value={name ?? options?.suggestedName ?? ""}
                           onChange={(_ev, v) => setName(v)} />
            </FormGroup>
            <FormGroup label={_("Description")} fieldId="virt-create-snapshot-description">
                <TextArea id="virt-create-snapshot-description" value={description} resizeOrientation="vertical"
                          onChange={(_ev, v) => setDescription(v)} />
            </FormGroup>
            <FormGroup label={_("Kind")} role="radiogroup" isStack fieldId="virt-create-snapshot-internal">
                <Radio id="virt-create-snapshot-internal" name="virt-create-snapshot-location"
                       label={_("Internal (inside the disk images)")}
                       description={options?.internalRefused ?? undefined}
                       isDisabled={Boolean(options?.internalRefused)}
                       isChecked={chosenLocation === "internal"} onChange={() => setLocation("internal")} />
                <Radio id="virt-create-snapshot-external" name="virt-create-snapshot-location"
                       label={_("External (new overlay files beside the disks)")}
                       isChecked={chosenLocation === "external"} onChange={() => setLocation("external")} />
            </FormGroup>
            {options?.running &&
                <FormGroup label={_("Memory")} fieldId="virt-create-snapshot-memory">
                    <Checkbox id="virt-create-snapshot-memory" isChecked={withMemory}
                              isDisabled={chosenLocation === "internal"}
                              label={cockpit.format(_("Save the running guest's memory ($0)"), formatBytes(options.memoryBytes))}
                              description={withMemory ? undefined : _("Disk only: a revert starts the guest as after a power cut")}
                              onChange={(_ev, v) => setMemory(v)} />
                </FormGroup>}
            {chosenLocation === "external" &&
                <FormGroup label={_("Files go to")} fieldId="virt-create-snapshot-where">
                    <span id="virt-create-snapshot-where">{where}</span>
                </FormGroup>}
        </JobDialog>
    );
}

export function showCreateSnapshot(vm: Vm): Promise<boolean> {
    return openDialog<boolean>(done => <CreateSnapshotDialog vm={vm} onDone={done} />);
}
