// The per-type fields of "Create storage pool": which types there are (with the Debian package of each backend),
// the inputs each type asks for, and the `pool` op's create fields made from them (docs/api.md). The helper
// validates every value (paths, server names, ports, iSCSI names, adapters); its verdict is shown as given.

import { FormGroup } from "@patternfly/react-core/dist/esm/components/Form/index.js";
import { FormSelect, FormSelectOption } from "@patternfly/react-core/dist/esm/components/FormSelect/index.js";
import { TextInput } from "@patternfly/react-core/dist/esm/components/TextInput/index.js";

const _ = cockpit.gettext;

/** Every type this dialog creates, and the Debian package of its backend. */
export const POOL_TYPES: readonly { type: string; label: string; pkg: string }[] = [
    { type: "dir", label: _("Directory on the host"), pkg: "libvirt-daemon-driver-storage" },
    { type: "fs", label: _("File system on a block device"), pkg: "libvirt-daemon-driver-storage" },
    { type: "netfs", label: _("NFS export"), pkg: "libvirt-daemon-driver-storage" },
    { type: "logical", label: _("LVM volume group"), pkg: "libvirt-daemon-driver-storage-logical" },
    { type: "disk", label: _("Partitioned block device"), pkg: "libvirt-daemon-driver-storage-disk" },
    { type: "iscsi", label: _("iSCSI target (host initiator)"), pkg: "libvirt-daemon-driver-storage-iscsi" },
    { type: "iscsi-direct", label: _("iSCSI target (direct, libiscsi)"), pkg: "libvirt-daemon-driver-storage-iscsi-direct" },
    { type: "scsi", label: _("SCSI host adapter"), pkg: "libvirt-daemon-driver-storage-scsi" },
    { type: "mpath", label: _("Multipath devices"), pkg: "libvirt-daemon-driver-storage-mpath" },
    { type: "zfs", label: _("ZFS pool"), pkg: "libvirt-daemon-driver-storage-zfs" },
    { type: "rbd", label: _("Ceph RBD pool"), pkg: "libvirt-daemon-driver-storage-rbd" },
    { type: "gluster", label: _("Gluster volume"), pkg: "libvirt-daemon-driver-storage-gluster" },
];

/** The dialog's inputs, by field name; each type reads only its own. */
export type PoolFields = Readonly<Record<string, string>>;

type Setter = (field: string, value: string) => void;

function Text({ id, label, fields, set, required = false, placeholder = "" }: {
    id: string; label: string; fields: PoolFields; set: Setter; required?: boolean; placeholder?: string;
}) {
    return (
        <FormGroup label={label} isRequired={required} fieldId={`create-pool-${id}`}>
            <TextInput id={`create-pool-${id}`} value={fields[id] ?? ""} onChange={(_ev, v) => set(id, v)}
                       placeholder={placeholder} isRequired={required} />
        </FormGroup>
    );
}

function Portal({ fields, set }: { fields: PoolFields; set: Setter }) {
    return <>
        <Text id="server" label={_("Target host")} fields={fields} set={set} required placeholder="san.example.com" />
        <Text id="port" label={_("Port")} fields={fields} set={set} placeholder="3260" />
        <Text id="target" label={_("Target IQN")} fields={fields} set={set} required
              placeholder="iqn.2026-01.com.example:storage" />
    </>;
}

function Auth({ fields, set, what }: { fields: PoolFields; set: Setter; what: string }) {
    return <>
        <Text id="username" label={cockpit.format(_("$0 user (optional)"), what)} fields={fields} set={set} />
        {fields.username &&
            <Text id="secret" label={_("Libvirt secret holding the password (usage name)")} fields={fields} set={set} required />}
    </>;
}

/** The inputs of one pool type. */
export function PoolTypeFields({ type, fields, set }: { type: string; fields: PoolFields; set: Setter }) {
    switch (type) {
    case "dir":
        return <Text id="path" label={_("Directory")} fields={fields} set={set} required placeholder="/var/lib/libvirt/images" />;
    case "fs":
        return <>
            <Text id="device" label={_("Block device")} fields={fields} set={set} required placeholder="/dev/sdb" />
            <Text id="path" label={_("Mount point")} fields={fields} set={set} required placeholder="/mnt/images" />
        </>;
    case "netfs":
        return <>
            <Text id="server" label={_("NFS server")} fields={fields} set={set} required />
            <Text id="dir" label={_("Export")} fields={fields} set={set} required placeholder="/srv/images" />
            <Text id="path" label={_("Mount point")} fields={fields} set={set} required placeholder="/mnt/images" />
        </>;
    case "logical":
        return <Text id="device" label={_("Block device for a new volume group (empty: an existing group of this name)")}
                     fields={fields} set={set} placeholder="/dev/sdb" />;
    case "disk":
        return <>
            <Text id="device" label={_("Block device")} fields={fields} set={set} required placeholder="/dev/sdb" />
            <FormGroup label={_("New partition table (overwrites the device's)")} fieldId="create-pool-format">
                <FormSelect id="create-pool-format" value={fields.format || "gpt"} onChange={(_ev, v) => set("format", v)}>
                    <FormSelectOption value="gpt" label="GPT" />
                    <FormSelectOption value="dos" label={_("DOS (MBR)")} />
                </FormSelect>
            </FormGroup>
        </>;
    case "iscsi":
        return <>
            <Portal fields={fields} set={set} />
            <Text id="initiator" label={_("Initiator IQN (optional: the host's)")} fields={fields} set={set} />
            <Auth fields={fields} set={set} what="CHAP" />
        </>;
    case "iscsi-direct":
        return <>
            <Portal fields={fields} set={set} />
            <Text id="initiator" label={_("Initiator IQN")} fields={fields} set={set} required
                  placeholder="iqn.2026-01.com.example:host1" />
            <Auth fields={fields} set={set} what="CHAP" />
        </>;
    case "scsi":
        return <Text id="adapter" label={_("SCSI host adapter")} fields={fields} set={set} required placeholder="host0" />;
    case "zfs":
        return <>
            <Text id="source" label={_("ZFS pool name")} fields={fields} set={set} required placeholder="tank" />
            <Text id="device" label={_("Block device for a new ZFS pool (empty: an existing pool)")} fields={fields} set={set} />
        </>;
    case "rbd":
        return <>
            <Text id="monitors" label={_("Monitor hosts (host or host:port, separated by spaces)")} fields={fields} set={set}
                  required placeholder="mon1.example.com mon2.example.com:6789" />
            <Text id="source" label={_("Ceph pool")} fields={fields} set={set} required placeholder="rbd" />
            <Auth fields={fields} set={set} what="Ceph" />
        </>;
    case "gluster":
        return <>
            <Text id="server" label={_("Gluster server")} fields={fields} set={set} required />
            <Text id="source" label={_("Volume")} fields={fields} set={set} required />
            <Text id="dir" label={_("Directory in the volume")} fields={fields} set={set} placeholder="/" />
        </>;
    default:
        return null;
    }
}

/** `host:port`, `[v6]:port` or a bare host: the monitor as the helper takes it. */
function monitor(text: string): cockpit.JsonValue {
    const m = /^\[(.+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
    return m ? { server: m[1] ?? "", port: Number(m[2]) } : { server: text.replace(/^\[(.+)\]$/, "$1") };
}

/** The fields each type requires, for the Create button. */
const REQUIRED: Readonly<Record<string, readonly string[]>> = {
    dir: ["path"], fs: ["device", "path"], netfs: ["server", "dir", "path"], disk: ["device"],
    iscsi: ["server", "target"], "iscsi-direct": ["server", "target", "initiator"], scsi: ["adapter"],
    zfs: ["source"], rbd: ["monitors", "source"], gluster: ["server", "source"],
};

export function poolFieldsReady(type: string, fields: PoolFields): boolean {
    return (REQUIRED[type] ?? []).every(f => !!fields[f]?.trim()) && (!fields.username || !!fields.secret);
}

/** The `pool` op's create fields of this type (blank optional ones left out; the helper checks the rest). */
export function poolCreateFields(type: string, fields: PoolFields): Record<string, cockpit.JsonValue> {
    const out: Record<string, cockpit.JsonValue> = {};
    const pick = (...names: string[]) => {
        for (const n of names)
            if (fields[n]?.trim())
                out[n] = fields[n].trim();
    };
    switch (type) {
    case "dir": pick("path"); break;
    case "fs": pick("device", "path"); break;
    case "netfs": pick("server", "dir", "path"); break;
    case "logical": pick("device"); break;
    case "disk": pick("device"); out.format = fields.format || "gpt"; break;
    case "iscsi": case "iscsi-direct": pick("server", "target", "initiator"); break;
    case "scsi": pick("adapter"); break;
    case "zfs": pick("source", "device"); break;
    case "rbd":
        pick("source");
        out.monitors = (fields.monitors ?? "").split(/[\s,]+/).filter(Boolean).map(monitor);
        break;
    case "gluster": pick("server", "source", "dir"); break;
    }
    // A port that is not a number is sent as it is, for the helper to refuse.
    if ((type === "iscsi" || type === "iscsi-direct") && fields.port?.trim()) {
        const port = Number(fields.port.trim());
        out.port = Number.isInteger(port) ? port : fields.port.trim();
    }
    if (["iscsi", "iscsi-direct", "rbd"].includes(type) && fields.username?.trim())
        out.auth = { username: fields.username.trim(), secret: fields.secret ?? "" };
    return out;
}
