// Op `delete-plan` (docs/api.md): what deleting a VM would do to each of its disks' storage, and which other VMs
// use that storage. The helper decides; the delete dialog shows it and echoes each ticked disk's target and source.

import { openOneShot } from "./one-shot.ts";

/** Why a disk's storage is never deleted (it is only detached with the VM). */
export type KeptReason =
    "block-device" | "network" | "directory" | "not-regular-file" | "pool-unavailable" | "unknown";

export interface PlannedDisk {
    target: string;
    device: string;
    type: string;
    /** the storage as shown, and as sent back to delete it: a path (a volume's path in its pool) or a network name */
    source: string | null;
    /** removal "volume": the pool it is deleted from */
    pool: string | null;
    volume: string | null;
    readonly: boolean;
    removal: "file" | "volume" | "never";
    kept: KeptReason | null;
    /** the other VMs (live or persistent definition) that use this storage */
    usedBy: string[];
}

export interface DeletePlan {
    disks: PlannedDisk[];
    /** the UEFI variable store undefine removes */
    nvram: string | null;
    /** an emulated TPM's state: what libvirt's undefine does with it */
    tpm: "removed" | "kept" | null;
}

/** The ticked disks, as the delete action takes them. */
export interface StorageChoice {
    target: string;
    source: string;
}

export async function fetchDeletePlan(uri: string, vmId: string): Promise<DeletePlan> {
    const { messages } = await openOneShot({ op: "delete-plan", uri, vm: vmId }).done;
    const plan = messages.at(-1) as Partial<DeletePlan> | undefined;
    return { disks: plan?.disks ?? [], nvram: plan?.nvram ?? null, tpm: plan?.tpm ?? null };
}

/** Whether the user may tick this disk: the helper would delete it. */
export function deletable(disk: PlannedDisk): boolean {
    return disk.removal !== "never" && disk.source !== null && disk.usedBy.length === 0;
}

/** Ticked when the dialog opens: the VM's own writable disks; never install media or shared storage. */
export function tickedByDefault(disk: PlannedDisk): boolean {
    return deletable(disk) && disk.device === "disk" && !disk.readonly;
}
