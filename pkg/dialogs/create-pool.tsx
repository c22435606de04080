// "Create storage pool": a directory, a file system on a device, an NFS export or an LVM volume group. Types this
// libvirtd has no backend for are listed disabled with the package that provides them. The helper validates
// (name in use, path missing or not a directory, device not a block device) and its verdict is shown as given.

import { Checkbox } from "@patternfly/react-core/dist/esm/components/Checkbox/index.js";
import { FormGroup, FormHelperText } from "@patternfly/react-core/dist/esm/components/Form/index.js";
import { FormSelect, FormSelectOption } from "@patternfly/react-core/dist/esm/components/FormSelect/index.js";
import { HelperText, HelperTextItem } from "@patternfly/react-core/dist/esm/components/HelperText/index.js";
import { TextInput } from "@patternfly/react-core/dist/esm/components/TextInput/index.js";
import { useState } from "react";

import type { PoolSource } from "../client/pool-sources.ts";
import { runPoolAction } from "../client/resource-ops.ts";
import type { ConnectionResources } from "../client/resources-client.ts";

import { CreateResourceDialog } from "./create-resource.tsx";
import { openDialog } from "./dialog-host.tsx";
import { PoolSourceFinder, hasSourceFinder } from "./pool-sources.tsx";

const _ = cockpit.gettext;

/** The types this dialog creates, and the Debian package of each backend. */
const CREATABLE: readonly { type: string; label: string; pkg: string }[] = [
    { type: "dir", label: _("Directory on the host"), pkg: "libvirt-daemon-driver-storage" },
    { type: "fs", label: _("File system on a block device"), pkg: "libvirt-daemon-driver-storage" },
    { type: "netfs", label: _("NFS export"), pkg: "libvirt-daemon-driver-storage" },
    { type: "logical", label: _("LVM volume group"), pkg: "libvirt-daemon-driver-storage-logical" },
];

/** Other types libvirt knows, and their packages (shown, not created here). */
const OTHER_PACKAGES: Readonly<Record<string, string>> = {
    disk: "libvirt-daemon-driver-storage-disk",
    iscsi: "libvirt-daemon-driver-storage-iscsi",
    "iscsi-direct": "libvirt-daemon-driver-storage-iscsi-direct",
    scsi: "libvirt-daemon-driver-storage-scsi",
    mpath: "libvirt-daemon-driver-storage-mpath",
    rbd: "libvirt-daemon-driver-storage-rbd",
    gluster: "libvirt-daemon-driver-storage-gluster",
    zfs: "libvirt-daemon-driver-storage-zfs",
};

function CreatePoolDialog({ resources, onDone }: { resources: readonly ConnectionResources[]; onDone: () => void }) {
    const uris = resources.map(r => r.uri);
    const [uri, setUri] = useState(uris[0] ?? "");
    const [name, setName] = useState("");
    const [type, setType] = useState("dir");
    const [path, setPath] = useState("");
    const [device, setDevice] = useState("");
    const [host, setHost] = useState("");
    const [dir, setDir] = useState("");
    const [autostart, setAutostart] = useState(true);

    const driver = resources.find(r => r.uri === uri)?.drivers?.storage;
    const supported = driver?.state === "available" ? driver.poolTypes ?? {} : {};
    const others = Object.keys(OTHER_PACKAGES).map(t => supported[t] === true
        ? t
        : cockpit.format(_("$0 (needs $1)"), t, OTHER_PACKAGES[t] ?? ""));

    const create = () => {
        const fields: Record<string, cockpit.JsonValue> = { type, autostart };
        if (type !== "logical")
            fields.path = path;
        if (type === "fs" || (type === "logical" && device))
            fields.device = device;
        if (type === "netfs") {
            fields.host = host;
            fields.dir = dir;
        }
        return runPoolAction(uri, name, "create", fields);
    };

    // A found volume group is an existing one (the pool takes its name); a found export fills server and path.
    const fillFromSource = (source: PoolSource) => {
        if (type === "logical") {
            setName(source.name ?? "");
            setDevice("");
        } else if (type === "netfs") {
            setHost(source.host ?? host);
            setDir(source.dir ?? "");
        }
    };

    return (
        <CreateResourceDialog kind="pool" title={_("Create storage pool")} errorTitle={_("The pool was not created")}
                              uris={uris} uri={uri} onUri={setUri} ready={!!name && (type === "logical" || !!path)}
                              create={create} onDone={onDone}>
            <FormGroup label={_("Name")} isRequired fieldId="create-pool-name">
                <TextInput id="create-pool-name" value={name} onChange={(_ev, v) => setName(v)} isRequired />
            </FormGroup>
            <FormGroup label={_("Type")} fieldId="create-pool-type">
                <FormSelect id="create-pool-type" value={type} onChange={(_ev, v) => setType(v)}>
                    {CREATABLE.map(t => (
                        <FormSelectOption key={t.type} value={t.type} isDisabled={supported[t.type] === false}
                                          label={supported[t.type] === false
                                              ? cockpit.format(_("$0 (needs $1)"), t.label, t.pkg)
                                              : t.label} />))}
                </FormSelect>
                {others.length > 0 &&
                    <FormHelperText>
                        <HelperText>
                            <HelperTextItem data-test="other-pool-types">
                                {cockpit.format(_("Other types, defined with virsh, show here once defined: $0."), others.join(", "))}
                            </HelperTextItem>
                        </HelperText>
                    </FormHelperText>}
            </FormGroup>
            {type === "netfs" && <>
                <FormGroup label={_("NFS server")} isRequired fieldId="create-pool-host">
                    <TextInput id="create-pool-host" value={host} onChange={(_ev, v) => setHost(v)} />
                </FormGroup>
                <FormGroup label={_("Export")} isRequired fieldId="create-pool-dir">
                    <TextInput id="create-pool-dir" value={dir} onChange={(_ev, v) => setDir(v)} placeholder="/srv/images" />
                </FormGroup>
            </>}
            {hasSourceFinder(type) && <PoolSourceFinder uri={uri} type={type} host={host} onPick={fillFromSource} />}
            {(type === "fs" || type === "logical") &&
                <FormGroup label={type === "fs" ? _("Block device") : _("Block device for a new volume group (empty: an existing group of this name)")}
                           isRequired={type === "fs"} fieldId="create-pool-device">
                    <TextInput id="create-pool-device" value={device} onChange={(_ev, v) => setDevice(v)} placeholder="/dev/sdb" />
                </FormGroup>}
            {type !== "logical" &&
                <FormGroup label={type === "dir" ? _("Directory") : _("Mount point")} isRequired fieldId="create-pool-path">
                    <TextInput id="create-pool-path" value={path} onChange={(_ev, v) => setPath(v)}
                               placeholder={type === "dir" ? "/var/lib/libvirt/images" : "/mnt/images"} isRequired />
                </FormGroup>}
            <Checkbox id="create-pool-autostart" label={_("Start at boot")} isChecked={autostart}
                      onChange={(_ev, v) => setAutostart(v)} />
        </CreateResourceDialog>
    );
}

export function showCreatePoolDialog(resources: readonly ConnectionResources[]): Promise<void> {
    return openDialog<undefined>(done => <CreatePoolDialog resources={resources} onDone={() => done(undefined)} />);
}
