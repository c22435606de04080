// Host device dialogs: add several USB or PCI devices of the host at once (those used by the host or another VM
// marked), remove one. The list comes from op `host-devices`; the helper checks and attaches.

import { Content } from "@patternfly/react-core/dist/esm/components/Content/index.js";
import { FormGroup } from "@patternfly/react-core/dist/esm/components/Form/index.js";
import { Label } from "@patternfly/react-core/dist/esm/components/Label/index.js";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table/dist/esm/components/Table/index.js";
import { useState } from "react";

import type { DeviceResult } from "../../client/device.ts";
import type { NodeDevice } from "../../client/host-devices.ts";
import type { Vm, VmHostDevice } from "../../types.ts";
import { useHostDevices } from "../../views/use-host-devices.ts";

import { DeviceDialog, openDeviceDialog, whereText } from "./device-dialog.tsx";

const _ = cockpit.gettext;

type Done = (result: DeviceResult | null) => void;

export function deviceTypeLabel(type: string): string {
    switch (type) {
    case "usb": case "usb_device": return _("USB");
    case "pci": return _("PCI");
    case "scsi": return _("SCSI");
    case "mdev": return _("Mediated");
    default: return type;
    }
}

/** Who uses the device besides this VM: other VMs, the host (a PCI device bound to a host driver). */
export function UsageLabels({ device, vm }: { device: NodeDevice; vm: Vm }) {
    const others = device.usedBy.filter(u => u.id !== vm.id);
    return (
        <>
            {device.usedBy.some(u => u.id === vm.id) && <Label isCompact color="blue">{_("This VM has it")}</Label>}
            {others.map(u => (
                <Label key={u.id} isCompact color="orange" className="virt-hostdev-used-by">
                    {cockpit.format(_("Used by $0"), u.name)}
                </Label>
            ))}
            {device.hostDriver &&
                <Label isCompact color="grey" className="virt-hostdev-host-driver">
                    {cockpit.format(_("Used by the host ($0)"), device.hostDriver)}
                </Label>}
        </>
    );
}

function AddHostdevDialog({ vm, onDone }: { vm: Vm; onDone: Done }) {
    const host = useHostDevices(vm.uri);
    const [chosen, setChosen] = useState<readonly string[]>([]);
    const has = new Set([...(vm.hostdevs ?? []), ...(vm.saved?.hostdevs ?? [])].map(h => h.key));
    const candidates = Object.values(host.devices)
            .filter(d => d.key !== null && (d.type === "usb_device" || d.type === "pci"))
            .sort((a, b) => a.type.localeCompare(b.type) || (a.address ?? "").localeCompare(b.address ?? "", undefined, { numeric: true }));
    const toggle = (name: string, on: boolean) =>
        setChosen(on ? [...chosen, name] : chosen.filter(n => n !== name));

    let list;
    if (!host.synced)
        list = host.unavailable ?? _("Loading…");
    else if (candidates.length === 0)
        list = host.unavailable ?? _("This host has no USB or PCI devices that libvirt lists.");
    else {
        list = (
            <Table aria-label={_("Host devices")} variant="compact" className="virt-hostdev-choices">
                <Thead>
                    <Tr>
                        <Th screenReaderText={_("Select")} />
                        <Th modifier="nowrap">{_("Type")}</Th>
                        <Th modifier="nowrap">{_("Vendor")}</Th>
                        <Th modifier="nowrap">{_("Product")}</Th>
                        <Th modifier="nowrap">{_("Address")}</Th>
                        <Th modifier="wrap">{_("In use")}</Th>
                    </Tr>
                </Thead>
                <Tbody>
                    {candidates.map((d, rowIndex) => {
                        const present = has.has(d.key);
                        return (
                            <Tr key={d.name} data-device={d.name}>
                                <Td select={{
                                    rowIndex,
                                    isSelected: chosen.includes(d.name),
                                    isDisabled: present,
                                    onSelect: (_ev, on) => toggle(d.name, on),
                                }} />
                                <Td dataLabel={_("Type")}>{deviceTypeLabel(d.type)}</Td>
                                <Td dataLabel={_("Vendor")}>{d.vendor ?? d.vendorId ?? "–"}</Td>
                                <Td dataLabel={_("Product")}>{d.product ?? d.productId ?? "–"}</Td>
                                <Td dataLabel={_("Address")} className="virt-mono">{d.address ?? "–"}</Td>
                                <Td dataLabel={_("In use")}><UsageLabels device={d} vm={vm} /></Td>
                            </Tr>
                        );
                    })}
                </Tbody>
            </Table>
        );
    }

    return (
        <DeviceDialog vm={vm} id="virt-add-hostdev" title={_("Add host devices")} submitLabel={_("Add")}
                      action="hostdev-add" params={() => ({ devices: [...chosen] })} onDone={onDone}
                      successTitle={r => cockpit.format(cockpit.ngettext("Added $0 host device: $1", "Added $0 host devices: $1",
                                                                          r.hostdevs?.length ?? 0),
                                                         r.hostdevs?.length ?? 0, whereText(r))}>
            <FormGroup label={_("Devices")} fieldId="virt-add-hostdev-list">
                {list}
            </FormGroup>
            <Content component="p" className="virt-device-note">
                {_("While the VM runs, a device it has is taken from the host and from every other VM.")}
            </Content>
        </DeviceDialog>
    );
}

function RemoveHostdevDialog({ vm, hostdev, label, onDone }: { vm: Vm; hostdev: VmHostDevice; label: string; onDone: Done }) {
    const key = hostdev.key ?? "";
    return (
        <DeviceDialog vm={vm} id="virt-remove-hostdev" title={cockpit.format(_("Remove host device $0?"), label)} danger
                      submitLabel={_("Remove")} action="hostdev-remove" params={() => ({ hostdev: key })} onDone={onDone}
                      successTitle={r => cockpit.format(_("Removed host device $0: $1"), label, whereText(r))}>
            <Content component="p">{_("A running guest loses the device at once; it goes back to the host.")}</Content>
        </DeviceDialog>
    );
}

export const showAddHostdev = (vm: Vm) => openDeviceDialog(done => <AddHostdevDialog vm={vm} onDone={done} />);
export const showRemoveHostdev = (vm: Vm, hostdev: VmHostDevice, label: string) =>
    openDeviceDialog(done => <RemoveHostdevDialog vm={vm} hostdev={hostdev} label={label} onDone={done} />);
