// The host's devices a VM can be given (docs/api.md op `host-devices`): one channel while a page or dialog shows
// them, the table built from its snapshot and patches.

import { openOneShot } from "./one-shot.ts";

export interface NodeDevice {
    name: string;
    /** "pci", "usb_device", "scsi", "mdev", "scsi_host" (a Fibre Channel adapter: address its WWPN) */
    type: string;
    parent: string | null;
    driver: string | null;
    vendor: string | null;
    product: string | null;
    vendorId: string | null;
    productId: string | null;
    address: string | null;
    /** what a VM's `<hostdev>` for it has; only USB and PCI devices have one (and can be added) */
    key: string | null;
    class: string | null;
    iommuGroup: number | null;
    usedBy: { id: string; name: string }[];
    /** PCI: the host driver using it (not one that sets devices aside for VMs) */
    hostDriver: string | null;
}

export interface HostDevices {
    synced: boolean;
    /** the node device driver's state, or the channel's failure */
    unavailable: string | null;
    devices: Readonly<Record<string, NodeDevice>>;
}

export const NO_HOST_DEVICES: HostDevices = { synced: false, unavailable: null, devices: {} };

/** Follows the host devices of `uri`; `onChange` gets each new table. Returns the function that stops it. */
export function followHostDevices(uri: string, onChange: (state: HostDevices) => void): () => void {
    let state: HostDevices = NO_HOST_DEVICES;
    let pending: HostDevices | null = null;
    const channel = openOneShot({ op: "host-devices", uri }, message => {
        if (message.reset) {
            pending = { ...NO_HOST_DEVICES };
            return;
        }
        let next = pending ?? state;
        const driver = message.driver as { state: string; message?: string } | undefined;
        if (driver)
            next = { ...next, unavailable: driver.state === "available" ? null : driver.message ?? driver.state };
        if (message.devices) {
            const changes = message.devices as Record<string, NodeDevice | null>;
            const devices: Record<string, NodeDevice> = {};
            for (const [name, value] of Object.entries(next.devices)) {
                if (!(name in changes))
                    devices[name] = value;
            }
            for (const [name, value] of Object.entries(changes)) {
                if (value !== null)
                    devices[name] = value;
            }
            next = { ...next, devices };
        }
        if (message.synced) {
            pending = null;
            next = { ...next, synced: true };
        }
        if (pending)
            pending = next;
        else if (next !== state) {
            state = next;
            onChange(state);
        }
    });
    channel.done.catch((ex: unknown) => onChange({ ...state, unavailable: ex instanceof Error ? ex.message : String(ex) }));
    return () => { void channel.close() };
}
