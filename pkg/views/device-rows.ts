// Which configuration each disk and interface is in: the running VM ("now"), its saved definition ("next boot"),
// or both, from the watch's `saved` (docs/api.md). Pure functions, for the Disks and Network interfaces cards.

import { type Vm, type VmDisk, type VmFilesystem, type VmHostDevice, type VmInterface, isActive } from "../types.ts";

/** "both": in the running VM and at next boot alike (or the VM is off: only one configuration exists). */
export type Presence = "both" | "now" | "next-boot" | "changed";

export interface Row<T> {
    key: string;
    device: T;
    presence: Presence;
    /** how the next boot has it, when `changed` */
    next?: T;
}

function rows<T>(live: readonly T[], saved: readonly T[] | null, keyOf: (d: T, i: number) => string): Row<T>[] {
    if (!saved)
        return live.map((device, i) => ({ key: keyOf(device, i), device, presence: "both" }));
    const savedByKey = new Map(saved.map((d, i) => [keyOf(d, i), d]));
    const result: Row<T>[] = live.map((device, i) => {
        const key = keyOf(device, i);
        const next = savedByKey.get(key);
        if (!next)
            return { key, device, presence: "now" };
        savedByKey.delete(key);
        return JSON.stringify(next) === JSON.stringify(device)
            ? { key, device, presence: "both" }
            : { key, device, presence: "changed", next };
    });
    for (const [key, device] of savedByKey)
        result.push({ key, device, presence: "next-boot" });
    return result;
}

/** Without `saved` (a shut-off or transient VM, or nothing differs) every device is "both". */
export function diskRows(vm: Vm): Row<VmDisk>[] {
    return rows(vm.disks, isActive(vm.state) ? vm.saved?.disks ?? null : null, d => d.target);
}

export function interfaceRows(vm: Vm): Row<VmInterface>[] {
    const comparable = (nics: readonly VmInterface[]) => nics.map(n => ({ ...n, tap: null }));
    const live = isActive(vm.state) && vm.saved ? comparable(vm.interfaces) : vm.interfaces;
    const result = rows(live, isActive(vm.state) ? vm.saved?.interfaces ?? null : null,
                        (n, i) => n.mac ?? `#${i}`);
    // Show the live TAP device again.
    return result.map(r => ({ ...r, device: vm.interfaces.find(n => n.mac === r.device.mac && r.presence !== "next-boot") ?? r.device }));
}

export function hostdevRows(vm: Vm): Row<VmHostDevice>[] {
    // Where a USB device named by its ids is plugged in shows only while the VM runs.
    const comparable = (devices: readonly VmHostDevice[]) =>
        devices.map(d => d.type === "usb" && d.key?.startsWith("usb:") ? { ...d, address: null } : d);
    const saved = isActive(vm.state) && vm.saved ? vm.saved.hostdevs ?? [] : null;
    const live = vm.hostdevs ?? [];
    const result = rows(saved ? comparable(live) : live, saved, (d, i) => d.key ?? `#${d.type}${i}`);
    return result.map(r => ({ ...r, device: live.find(d => d.key !== null && d.key === r.device.key && r.presence !== "next-boot") ?? r.device }));
}

export function filesystemRows(vm: Vm): Row<VmFilesystem>[] {
    const saved = isActive(vm.state) && vm.saved ? vm.saved.filesystems ?? [] : null;
    return rows(vm.filesystems ?? [], saved, f => f.tag);
}
