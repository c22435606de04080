// Shared directory dialogs: share a host directory with the VM through virtiofs under a mount tag, stop sharing
// one. The helper checks the path and tag and sets up the shared memory virtiofs needs.

import { Checkbox } from "@patternfly/react-core/dist/esm/components/Checkbox/index.js";
import { Content } from "@patternfly/react-core/dist/esm/components/Content/index.js";
import { FormGroup, FormHelperText } from "@patternfly/react-core/dist/esm/components/Form/index.js";
import { HelperText, HelperTextItem } from "@patternfly/react-core/dist/esm/components/HelperText/index.js";
import { TextInput } from "@patternfly/react-core/dist/esm/components/TextInput/index.js";
import { useState } from "react";

import type { DeviceResult } from "../../client/device.ts";
import { type Vm, type VmFilesystem, isActive } from "../../types.ts";

import { DeviceDialog, openDeviceDialog, whereText } from "./device-dialog.tsx";

const _ = cockpit.gettext;

type Done = (result: DeviceResult | null) => void;

/** The last step of the path, as a tag suggestion (the helper has the final word on what a tag may be). */
function suggestedTag(path: string): string {
    const last = path.replace(/\/+$/, "").split("/").pop() ?? "";
    return last.replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, 36);
}

function AddFilesystemDialog({ vm, onDone }: { vm: Vm; onDone: Done }) {
    const [path, setPath] = useState("");
    const [tag, setTag] = useState<string | null>(null);
    const [readonly, setReadonly] = useState(false);
    const shownTag = tag ?? suggestedTag(path);
    const needsRestart = isActive(vm.state) && !vm.sharedMemory;
    return (
        <DeviceDialog vm={vm} id="virt-add-filesystem" title={_("Share a host directory")} submitLabel={_("Share")}
                      action="filesystem-add" chooseScope={!needsRestart}
                      params={() => ({ path, tag: shownTag, readonly })} onDone={onDone}
                      successTitle={r => cockpit.format(_("Shared directory $0: $1"), r.tag ?? shownTag, whereText(r))}>
            <FormGroup label={_("Host directory")} fieldId="virt-add-filesystem-path" isRequired>
                <TextInput id="virt-add-filesystem-path" value={path} placeholder="/srv/share"
                           onChange={(_ev, v) => setPath(v)} />
            </FormGroup>
            <FormGroup label={_("Mount tag")} fieldId="virt-add-filesystem-tag" isRequired>
                <TextInput id="virt-add-filesystem-tag" value={shownTag} onChange={(_ev, v) => setTag(v)} />
                <FormHelperText>
                    <HelperText>
                        <HelperTextItem>
                            {cockpit.format(_("In the guest: mount -t virtiofs $0 /mnt"), shownTag || _("TAG"))}
                        </HelperTextItem>
                    </HelperText>
                </FormHelperText>
            </FormGroup>
            <FormGroup label={_("Access")} fieldId="virt-add-filesystem-readonly">
                <Checkbox id="virt-add-filesystem-readonly" label={_("Read-only")} isChecked={readonly}
                          onChange={(_ev, checked) => setReadonly(checked)} />
            </FormGroup>
            {needsRestart &&
                <Content component="p" className="virt-device-note">
                    {_("The running VM's memory is not shared, which virtiofs needs: the directory is shared from the next boot, with shared memory set up for it.")}
                </Content>}
        </DeviceDialog>
    );
}

function RemoveFilesystemDialog({ vm, fs, onDone }: { vm: Vm; fs: VmFilesystem; onDone: Done }) {
    return (
        <DeviceDialog vm={vm} id="virt-remove-filesystem" title={cockpit.format(_("Stop sharing $0?"), fs.tag)} danger
                      submitLabel={_("Remove")} action="filesystem-remove" params={() => ({ tag: fs.tag })} onDone={onDone}
                      successTitle={r => cockpit.format(_("Removed shared directory $0: $1"), fs.tag, whereText(r))}>
            <Content component="p">{_("The files stay on the host.")}</Content>
        </DeviceDialog>
    );
}

export const showAddFilesystem = (vm: Vm) => openDeviceDialog(done => <AddFilesystemDialog vm={vm} onDone={done} />);
export const showRemoveFilesystem = (vm: Vm, fs: VmFilesystem) =>
    openDeviceDialog(done => <RemoveFilesystemDialog vm={vm} fs={fs} onDone={done} />);
