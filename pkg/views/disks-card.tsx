// The VM page's Disks card: every disk and CD/DVD drive with which configuration it is in, and its changes
// (add, insert / eject media, grow, remove) through op `device`.

import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { ActionsColumn } from "@patternfly/react-table/dist/esm/components/Table/ActionsColumn.js";
import type { IAction } from "@patternfly/react-table/dist/esm/components/Table/TableTypes.js";
import { Td, Th, Tr } from "@patternfly/react-table/dist/esm/components/Table/index.js";
import { useEffect, useState } from "react";

import { type DiskSize, runDevice } from "../client/device.ts";
import { showAddDisk, showEditDisk, showInsertMedia, showRemoveDisk, showResizeDisk } from "../dialogs/devices/disk-dialogs.tsx";
import { formatBytes } from "../format.ts";
import { useDeviceChanges } from "../store/device-changes.ts";
import type { Vm, VmDisk } from "../types.ts";

import { DeviceCard, PresenceLabel, quickChange } from "./device-parts.tsx";
import { type Row, diskRows } from "./device-rows.ts";

const _ = cockpit.gettext;

function deviceLabel(device: string): string {
    switch (device) {
    case "disk": return _("Disk");
    case "cdrom": return _("CD/DVD");
    case "floppy": return _("Floppy");
    case "lun": return _("LUN");
    default: return device;
    }
}

function sourceText(disk: VmDisk): string {
    if (disk.pool && disk.volume)
        return cockpit.format(_("$0 (pool $1)"), disk.volume, disk.pool);
    return disk.source ?? (disk.device === "cdrom" || disk.device === "floppy" ? _("Empty") : "–");
}

function accessText(disk: VmDisk): string {
    if (disk.shareable)
        return _("Shareable");
    return disk.readonly ? _("Read-only") : _("Read-write");
}

function rowActions(vm: Vm, row: Row<VmDisk>): IAction[] {
    const disk = row.device;
    const removable = disk.device === "cdrom" || disk.device === "floppy";
    const hasMedia = disk.source !== null || disk.volume !== null;
    const actions: IAction[] = [];
    if (removable && row.presence !== "next-boot") {
        actions.push({ title: hasMedia ? _("Change media…") : _("Insert media…"), onClick: () => { void showInsertMedia(vm, disk) } });
        if (hasMedia) {
            const eject = (force: boolean) => quickChange(vm, "media-eject", { target: disk.target, force },
                                                          cockpit.format(_("Ejected $0"), disk.target),
                                                          cockpit.format(_("Could not eject $0"), disk.target));
            actions.push({ title: _("Eject"), onClick: () => eject(false) });
            actions.push({ title: _("Force eject"), description: _("When the guest has locked the drive"), onClick: () => eject(true) });
        }
    }
    if (disk.device === "disk" && row.presence !== "next-boot")
        actions.push({ title: _("Grow…"), onClick: () => { void showResizeDisk(vm, disk) } });
    if (vm.persistent && row.presence !== "now")
        actions.push({ title: _("Edit…"), description: _("Bus, cache, access, serial"), onClick: () => { void showEditDisk(vm, row.next ?? disk) } });
    if (actions.length > 0)
        actions.push({ isSeparator: true });
    actions.push({ title: _("Remove…"), onClick: () => { void showRemoveDisk(vm, disk) } });
    return actions;
}

/** Each disk's size and host use (op `device` disk-sizes), asked again whenever the VM's disks or state change. */
function useDiskSizes(vm: Vm): Record<string, DiskSize> {
    const [sizes, setSizes] = useState<Record<string, DiskSize>>({});
    const { uri, id, state } = vm;
    const disksKey = JSON.stringify(vm.disks);
    const changes = useDeviceChanges();
    useEffect(() => {
        let live = true;
        runDevice(uri, id, "disk-sizes").then(r => { if (live) setSizes(r.sizes ?? {}) },
                                              (ex: unknown) => console.warn("virt: disk-sizes", ex));
        return () => { live = false };
    }, [uri, id, state, disksKey, changes]);
    return sizes;
}

export function DisksCard({ vm }: { vm: Vm }) {
    const rows = diskRows(vm);
    const sizes = useDiskSizes(vm);
    const add = <Button variant="secondary" id="virt-add-disk-button" onClick={() => { void showAddDisk(vm) }}>{_("Add disk")}</Button>;
    return (
        <DeviceCard className="virt-card-disks" title={_("Disks")} action={add} empty={_("No disks")}
                    rowCount={rows.length}
                    header={
                        <Tr>
                            <Th modifier="fitContent">{_("Target")}</Th>
                            <Th modifier="fitContent">{_("Device")}</Th>
                            <Th modifier="fitContent">{_("Bus")}</Th>
                            <Th>{_("Source")}</Th>
                            <Th modifier="fitContent">{_("Size")}</Th>
                            <Th modifier="fitContent">{_("Used on host")}</Th>
                            <Th modifier="fitContent">{_("Format")}</Th>
                            <Th modifier="fitContent">{_("Access")}</Th>
                            <Th modifier="fitContent">{_("Cache")}</Th>
                            <Th modifier="fitContent">{_("Serial")}</Th>
                            <Th screenReaderText={_("Actions")} />
                        </Tr>
                    }>
            {rows.map(row => {
                const disk = row.device;
                return (
                    <Tr key={row.key} data-target={disk.target} data-presence={row.presence}>
                        <Td dataLabel={_("Target")}>
                            {disk.target} <PresenceLabel presence={row.presence} {...row.next ? { next: sourceText(row.next) } : {}} />
                        </Td>
                        <Td dataLabel={_("Device")}>{deviceLabel(disk.device)}</Td>
                        <Td dataLabel={_("Bus")}>{disk.bus ?? "–"}</Td>
                        <Td dataLabel={_("Source")} className="virt-wrap virt-disk-source">{sourceText(disk)}</Td>
                        <Td dataLabel={_("Size")} modifier="nowrap" className="virt-disk-size">
                            {row.presence === "next-boot" ? "–" : formatBytes(sizes[disk.target]?.capacity ?? -1)}
                        </Td>
                        <Td dataLabel={_("Used on host")} modifier="nowrap">
                            {row.presence === "next-boot" ? "–" : formatBytes(sizes[disk.target]?.allocation ?? -1)}
                        </Td>
                        <Td dataLabel={_("Format")}>{disk.format ?? "–"}</Td>
                        <Td dataLabel={_("Access")} modifier="nowrap">{accessText(disk)}</Td>
                        <Td dataLabel={_("Cache")}>{disk.cache ?? _("default")}</Td>
                        <Td dataLabel={_("Serial")} modifier="nowrap" className="virt-mono virt-disk-serial">{disk.serial ?? "–"}</Td>
                        <Td isActionCell>
                            <ActionsColumn items={rowActions(vm, row)} />
                        </Td>
                    </Tr>
                );
            })}
        </DeviceCard>
    );
}
