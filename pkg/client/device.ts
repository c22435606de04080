// runDevice: one `virt1` `device` channel (docs/api.md op `device`) per change to a VM's disks, media or interfaces.

import { openOneShot } from "./one-shot.ts";

export type DeviceAction =
    "media-insert" | "media-eject" | "disk-add" | "disk-remove" | "disk-resize" | "disk-edit" |
    "nic-add" | "nic-edit" | "nic-remove" | "nic-link" | "nic-addresses" | "disk-sizes" |
    "hostdev-add" | "hostdev-remove" | "filesystem-add" | "filesystem-remove";

export interface GuestAddress {
    address: string;
    prefix: number;
    family: "ipv4" | "ipv6";
    source: "lease" | "agent" | "arp";
}

export interface DeviceResult {
    ok: boolean;
    /** the change was made to the running VM */
    live: boolean;
    /** the change was made to the saved definition (next boot) */
    config: boolean;
    target?: string;
    mac?: string;
    /** a hot-unplug the guest has not finished yet */
    pending?: boolean;
    deleted?: string;
    storageError?: string;
    size?: number;
    previous?: number;
    addresses?: Record<string, GuestAddress[]>;
    sizes?: Record<string, DiskSize>;
    /** hostdev-add: the keys of the devices added */
    hostdevs?: string[];
    /** filesystem-add: the mount tag, and whether shared memory was set up for it */
    tag?: string;
    sharedMemory?: boolean;
}

/** bytes */
export interface DiskSize {
    capacity: number;
    allocation: number;
}

export { OpError as DeviceError } from "./one-shot.ts";

export type DeviceParams = Record<string, cockpit.JsonValue>;

/** Resolves with the helper's answer; rejects with a DeviceError (problem code and libvirt's message). */
export async function runDevice(uri: string, vmId: string, action: DeviceAction, params: DeviceParams = {}): Promise<DeviceResult> {
    const { messages } = await openOneShot({ ...params, op: "device", uri, vm: vmId, action }).done;
    return messages.at(-1) as unknown as DeviceResult;
}
