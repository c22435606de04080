// Disk and CD/DVD dialogs: add a disk or drive, insert media, grow a disk, remove a disk (optionally its image).

import { Checkbox } from "@patternfly/react-core/dist/esm/components/Checkbox/index.js";
import { Content } from "@patternfly/react-core/dist/esm/components/Content/index.js";
import { FormGroup } from "@patternfly/react-core/dist/esm/components/Form/index.js";
import { Radio } from "@patternfly/react-core/dist/esm/components/Radio/index.js";
import { TextInput } from "@patternfly/react-core/dist/esm/components/TextInput/index.js";
import { useState } from "react";

import type { DeviceParams, DeviceResult } from "../../client/device.ts";
import { formatBytes } from "../../format.ts";
import { type Vm, type VmDisk, isActive } from "../../types.ts";
import { PathInput } from "../create-vm/path-input.tsx";

import { DeviceDialog, openDeviceDialog, whereText } from "./device-dialog.tsx";
import { PoolField, SelectField, SizeField, type Unit, VolumeField, toBytes, useHostOptions } from "./fields.tsx";

const _ = cockpit.gettext;

type Done = (result: DeviceResult | null) => void;

const BUSES = [
    { value: "virtio", label: "virtio" }, { value: "scsi", label: "SCSI" },
    { value: "sata", label: "SATA" }, { value: "usb", label: "USB" },
];
const CACHES = ["default", "none", "writeback", "writethrough", "directsync", "unsafe"].map(c => ({ value: c, label: c }));

type AddSource = "new" | "volume" | "path" | "empty";

function AddDiskDialog({ vm, onDone }: { vm: Vm; onDone: Done }) {
    const options = useHostOptions(vm.uri);
    const [source, setSource] = useState<AddSource>("new");
    const [pool, setPool] = useState("");
    const [name, setName] = useState(`${vm.name}-disk.qcow2`);
    const [size, setSize] = useState({ value: "10", unit: "GiB" as Unit });
    const [format, setFormat] = useState("qcow2");
    const [volume, setVolume] = useState("");
    const [path, setPath] = useState("");
    const [cdrom, setCdrom] = useState(false);
    const [bus, setBus] = useState("virtio");
    const [cache, setCache] = useState("default");
    const [serial, setSerial] = useState("");
    const isCdrom = source === "empty" || cdrom;

    const params = (): DeviceParams => {
        const p: DeviceParams = { device: isCdrom ? "cdrom" : "disk", bus: isCdrom && bus === "virtio" ? "sata" : bus, cache };
        if (serial)
            p.serial = serial;
        if (source === "new")
            p.source = { pool, name, size: toBytes(size.value, size.unit), format };
        else if (source === "volume")
            p.source = { pool, volume };
        else if (source === "path")
            p.source = path.startsWith("/dev/") ? { block: path } : { file: path };
        return p;
    };
    const radio = (value: AddSource, label: string) =>
        <Radio id={`virt-add-disk-source-${value}`} name="virt-add-disk-source" label={label}
               isChecked={source === value} onChange={() => setSource(value)} />;

    return (
        <DeviceDialog vm={vm} id="virt-add-disk" title={_("Add disk")} submitLabel={_("Add")} action="disk-add"
                      params={params} onDone={onDone}
                      successTitle={r => cockpit.format(_("Added $0: $1"), r.target ?? "", whereText(r))}>
            <FormGroup label={_("Source")} role="radiogroup" isStack fieldId="virt-add-disk-source-new">
                {radio("new", _("New volume"))}
                {radio("volume", _("Existing volume"))}
                {radio("path", _("File or block device"))}
                {radio("empty", _("Empty CD/DVD drive"))}
            </FormGroup>
            {(source === "new" || source === "volume") &&
                <PoolField id="virt-add-disk-pool" options={options} value={pool} onChange={setPool} />}
            {source === "new" && <>
                <FormGroup label={_("Name")} fieldId="virt-add-disk-name" isRequired>
                    <TextInput id="virt-add-disk-name" value={name} onChange={(_ev, v) => setName(v)} />
                </FormGroup>
                <SizeField id="virt-add-disk-size" label={_("Size")} value={size.value} unit={size.unit}
                           onChange={(value, unit) => setSize({ value, unit })} />
                <SelectField id="virt-add-disk-format" label={_("Format")} value={format} onChange={setFormat}
                             choices={[{ value: "qcow2", label: "qcow2" }, { value: "raw", label: "raw" }]} />
            </>}
            {source === "volume" &&
                <VolumeField id="virt-add-disk-volume" uri={vm.uri} pool={pool} value={volume} onChange={setVolume} />}
            {source === "path" && <>
                <FormGroup label={_("Path")} fieldId="virt-add-disk-path" isRequired>
                    <PathInput id="virt-add-disk-path" value={path} onChange={setPath} validated="default"
                               placeholder={_("/var/lib/libvirt/images/disk.qcow2 or /dev/sdb")} />
                </FormGroup>
                <FormGroup fieldId="virt-add-disk-cdrom">
                    <Checkbox id="virt-add-disk-cdrom" label={_("As a CD/DVD drive (read-only media)")}
                              isChecked={cdrom} onChange={(_ev, checked) => setCdrom(checked)} />
                </FormGroup>
            </>}
            <SelectField id="virt-add-disk-bus" label={_("Bus")} value={isCdrom && bus === "virtio" ? "sata" : bus}
                         onChange={setBus} choices={isCdrom ? BUSES.filter(b => b.value !== "virtio") : BUSES} />
            <SelectField id="virt-add-disk-cache" label={_("Cache")} value={cache} onChange={setCache} choices={CACHES} />
            <FormGroup label={_("Serial")} fieldId="virt-add-disk-serial">
                <TextInput id="virt-add-disk-serial" value={serial} onChange={(_ev, v) => setSerial(v)} />
            </FormGroup>
        </DeviceDialog>
    );
}

type MediaKind = "file" | "volume" | "url";

function InsertMediaDialog({ vm, disk, onDone }: { vm: Vm; disk: VmDisk; onDone: Done }) {
    const options = useHostOptions(vm.uri);
    const [kind, setKind] = useState<MediaKind>("file");
    const [path, setPath] = useState("");
    const [pool, setPool] = useState("");
    const [volume, setVolume] = useState("");
    const [url, setUrl] = useState("");
    const sources: Record<MediaKind, () => DeviceParams> = {
        file: () => ({ file: path }),
        volume: () => ({ pool, volume }),
        url: () => ({ url }),
    };
    const radio = (value: MediaKind, label: string) =>
        <Radio id={`virt-insert-media-${value}`} name="virt-insert-media-kind" label={label}
               isChecked={kind === value} onChange={() => setKind(value)} />;
    return (
        <DeviceDialog vm={vm} id="virt-insert-media" title={cockpit.format(_("Insert media into $0"), disk.target)}
                      submitLabel={_("Insert")} action="media-insert" onDone={onDone}
                      params={() => ({ target: disk.target, source: sources[kind]() })}
                      successTitle={r => cockpit.format(_("Media inserted into $0: $1"), disk.target, whereText(r))}>
            <FormGroup label={_("Source")} role="radiogroup" isInline fieldId="virt-insert-media-file">
                {radio("file", _("File"))}
                {radio("volume", _("Storage volume"))}
                {radio("url", _("URL"))}
            </FormGroup>
            {kind === "file" &&
                <FormGroup label={_("Path")} fieldId="virt-insert-media-path" isRequired>
                    <PathInput id="virt-insert-media-path" value={path} onChange={setPath} validated="default"
                               placeholder={_("/var/lib/libvirt/images/install.iso")} extensions={[".iso", ".img"]} />
                </FormGroup>}
            {kind === "volume" && <>
                <PoolField id="virt-insert-media-pool" options={options} value={pool} onChange={setPool} />
                <VolumeField id="virt-insert-media-volume-name" uri={vm.uri} pool={pool} value={volume}
                             onChange={setVolume} />
            </>}
            {kind === "url" && <>
                <FormGroup label={_("URL")} fieldId="virt-insert-media-url-input" isRequired>
                    <TextInput id="virt-insert-media-url-input" type="url" value={url} onChange={(_ev, v) => setUrl(v)}
                               placeholder="https://cdimage.debian.org/…/debian.iso" />
                </FormGroup>
                <Content component="p" className="virt-device-note">
                    {_("QEMU reads the image from the server while the guest uses it (http, https, ftp or nfs); the server must stay reachable.")}
                </Content>
            </>}
        </DeviceDialog>
    );
}

function ResizeDiskDialog({ vm, disk, onDone }: { vm: Vm; disk: VmDisk; onDone: Done }) {
    const [size, setSize] = useState({ value: "", unit: "GiB" as Unit });
    return (
        <DeviceDialog vm={vm} id="virt-resize-disk" title={cockpit.format(_("Grow disk $0"), disk.target)}
                      submitLabel={_("Grow")} action="disk-resize" chooseScope={false} onDone={onDone}
                      params={() => ({ target: disk.target, size: toBytes(size.value, size.unit) })}
                      successTitle={r => cockpit.format(_("$0 grown from $1 to $2"), disk.target,
                                                        formatBytes(r.previous ?? 0), formatBytes(r.size ?? 0))}>
            <SizeField id="virt-resize-disk-size" label={_("New size")} value={size.value} unit={size.unit}
                       onChange={(value, unit) => setSize({ value, unit })} />
            <Content component="p" className="virt-device-note">
                {_("Disks can only grow. The guest sees the new size at once, but its partitions and file systems stay as they are: grow them inside the guest.")}
            </Content>
        </DeviceDialog>
    );
}

type Access = "readonly" | "writable" | "shareable";

function EditDiskDialog({ vm, disk, onDone }: { vm: Vm; disk: VmDisk; onDone: Done }) {
    const removable = disk.device === "cdrom" || disk.device === "floppy";
    const [bus, setBus] = useState(disk.bus ?? (removable ? "sata" : "virtio"));
    const [cache, setCache] = useState(disk.cache ?? "default");
    const [access, setAccess] = useState<Access>(disk.shareable ? "shareable" : disk.readonly ? "readonly" : "writable");
    const [serial, setSerial] = useState(disk.serial ?? "");
    const accessRadio = (value: Access, label: string) =>
        <Radio id={`virt-edit-disk-access-${value}`} name="virt-edit-disk-access" label={label}
               isChecked={access === value} onChange={() => setAccess(value)} />;
    return (
        <DeviceDialog vm={vm} id="virt-edit-disk" title={cockpit.format(_("Edit $0"), disk.target)}
                      submitLabel={_("Save")} action="disk-edit" chooseScope={false} onDone={onDone}
                      params={() => ({
                          target: disk.target, bus, cache, serial,
                          readonly: access === "readonly", shareable: access === "shareable",
                      })}
                      successTitle={r => cockpit.format(_("$0 changed: $1"), r.target ?? disk.target, whereText(r))}>
            <SelectField id="virt-edit-disk-bus" label={_("Bus")} value={bus} onChange={setBus}
                         choices={removable ? BUSES.filter(b => b.value !== "virtio") : BUSES} />
            <SelectField id="virt-edit-disk-cache" label={_("Cache")} value={cache} onChange={setCache} choices={CACHES} />
            <FormGroup label={_("Access")} role="radiogroup" isInline fieldId="virt-edit-disk-access-writable">
                {accessRadio("writable", _("Writable"))}
                {accessRadio("readonly", _("Read-only"))}
                {accessRadio("shareable", _("Shareable"))}
            </FormGroup>
            <FormGroup label={_("Serial")} fieldId="virt-edit-disk-serial">
                <TextInput id="virt-edit-disk-serial" value={serial} onChange={(_ev, v) => setSerial(v)} />
            </FormGroup>
            <Content component="p" className="virt-device-note">
                {isActive(vm.state)
                    ? _("These settings apply at the next boot; the running VM keeps its current ones.")
                    : _("These settings apply at the next boot.")}
            </Content>
        </DeviceDialog>
    );
}

function RemoveDiskDialog({ vm, disk, onDone }: { vm: Vm; disk: VmDisk; onDone: Done }) {
    const [deleteStorage, setDeleteStorage] = useState(false);
    const storage = disk.pool && disk.volume ? cockpit.format(_("$0 (pool $1)"), disk.volume, disk.pool) : disk.source;
    return (
        <DeviceDialog vm={vm} id="virt-remove-disk" title={cockpit.format(_("Remove $0?"), disk.target)} danger
                      submitLabel={_("Remove")} action="disk-remove" onDone={onDone}
                      params={() => ({ target: disk.target, deleteStorage })}
                      successTitle={r => cockpit.format(_("Removed $0: $1"), disk.target, whereText(r))}>
            <Content component="p">
                {_("The disk is detached from the VM. A running guest should not be using it.")}
            </Content>
            {storage && disk.device === "disk" &&
                <FormGroup fieldId="virt-remove-disk-storage">
                    <Checkbox id="virt-remove-disk-storage" isChecked={deleteStorage}
                              onChange={(_ev, checked) => setDeleteStorage(checked)}
                              label={_("Also delete the disk image")} description={storage} />
                </FormGroup>}
        </DeviceDialog>
    );
}

export const showAddDisk = (vm: Vm) => openDeviceDialog(done => <AddDiskDialog vm={vm} onDone={done} />);
export const showInsertMedia = (vm: Vm, disk: VmDisk) =>
    openDeviceDialog(done => <InsertMediaDialog vm={vm} disk={disk} onDone={done} />);
export const showResizeDisk = (vm: Vm, disk: VmDisk) =>
    openDeviceDialog(done => <ResizeDiskDialog vm={vm} disk={disk} onDone={done} />);
export const showEditDisk = (vm: Vm, disk: VmDisk) =>
    openDeviceDialog(done => <EditDiskDialog vm={vm} disk={disk} onDone={done} />);
export const showRemoveDisk = (vm: Vm, disk: VmDisk) =>
    openDeviceDialog(done => <RemoveDiskDialog vm={vm} disk={disk} onDone={done} />);
