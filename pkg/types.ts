// The page's shared vocabulary: the VM object and connection states of docs/api.md (op `watch`).

export type VmState =
    "running" | "blocked" | "paused" | "shutdown" | "shutoff" | "crashed" | "pmsuspended" | "nostate";

export interface VmDisk {
    target: string;
    device: string; // "disk", "cdrom", "floppy", "lun"
    type: string;
    bus: string | null;
    format: string | null;
    source: string | null;
    pool: string | null;
    volume: string | null;
    readonly: boolean;
    shareable: boolean;
    cache: string | null;
    serial: string | null;
}

export interface VmInterface {
    type: string;
    mac: string | null;
    model: string | null;
    source: string | null;
    linkUp: boolean;
    tap: string | null;
    /** the 802.1Q tag the host puts on its traffic */
    vlan?: number;
    /** a user-mode interface's backend when not QEMU's own ("passt") */
    backend?: string;
}

/** A host device given to the VM (`<hostdev>`); `key` (USB and PCI) is what `hostdev-remove` takes. */
export interface VmHostDevice {
    type: string; // "usb", "pci", "scsi", "mdev"
    key: string | null;
    address: string | null;
    vendorId?: string | null;
    productId?: string | null;
}

/** A host directory shared with the VM (`<filesystem>`), found by its mount tag. */
export interface VmFilesystem {
    driver: string; // "virtiofs", "path" (9p), …
    source: string | null;
    tag: string;
    readonly: boolean;
}

/** A VM's TPM: `backend` "emulator" (swtpm), "passthrough" or "external". */
export interface VmTpm {
    backend: string;
    model?: string;
    version?: string;
}

export interface VmWatchdog {
    model: string;
    action: string;
}

/** `auto`: libvirt picks the CID at start (`cid` is then the one it picked, while the VM runs). */
export interface VmVsock {
    cid?: number;
    auto: boolean;
}

/** A running VM's saved definition (its next boot), when it differs from the live one (docs/api.md). */
export interface SavedConfig {
    vcpus: number;
    memory: number;
    maxMemory: number;
    disks: VmDisk[];
    interfaces: VmInterface[];
    hostdevs?: VmHostDevice[];
    filesystems?: VmFilesystem[];
    topology: VmTopology | null;
    firmware: string;
    title: string;
    /** left out when absent */
    tpm?: VmTpm;
    watchdog?: VmWatchdog;
    vsock?: VmVsock;
}

export interface VmTopology {
    sockets: number;
    dies: number;
    cores: number;
    threads: number;
}

/** One VM as the helper sends it. Fields may be added later; the page ignores what it does not know. */
export interface Vm {
    id: string;
    name: string;
    uri: string;
    state: VmState;
    reason: string;
    persistent: boolean;
    autostart: boolean;
    managedSave: boolean;
    title: string;
    description: string;
    domainType: string;
    osType: string;
    arch: string;
    machine: string;
    firmware: string;
    vcpus: number;
    /** `<cpu mode>`; `custom` where the XML has none */
    cpuMode: string;
    /** for `custom`: the named model (null: the hypervisor's default) */
    cpuModel: string | null;
    topology: VmTopology | null;
    memory: number;
    maxMemory: number;
    disks: VmDisk[];
    interfaces: VmInterface[];
    /** left out when empty */
    hostdevs?: VmHostDevice[];
    filesystems?: VmFilesystem[];
    /** `<memoryBacking>` shares the guest's memory (virtiofs needs it) */
    sharedMemory?: boolean;
    /** left out when absent */
    tpm?: VmTpm;
    watchdog?: VmWatchdog;
    vsock?: VmVsock;
    /** host CPUs by pinned vCPU number, and of the emulator threads; left out when none */
    vcpuPins?: Record<string, number[]>;
    emulatorPin?: number[];
    saved: SavedConfig | null;
}

/** States the helper reports in `{"connection": {…}}`. */
export type ConnectionState = "connecting" | "connected" | "reconnecting" | "unreachable" | "access-denied";

/**
 * What the page knows about one connection: the helper's state, plus `loading` before anything arrived and
 * `failed` when the watch channel itself closed with a problem (e.g. the helper is not installed).
 */
export interface ConnectionStatus {
    uri: string;
    state: ConnectionState | "loading" | "failed";
    /** libvirt's (or the channel's) message, for humans */
    message: string | null;
    /** the channel's close problem code, when state is "failed" */
    problem: string | null;
    /** a complete snapshot of this connection's VMs has arrived at least once */
    synced: boolean;
    /** why it is not connected (docs/api.md problem reasons: auth-failed, host-unreachable, port-closed, not-answering) */
    reason?: string | null;
}

/** Connection states after which the page stops waiting: the list is as complete as it will get for now. */
export function isSettled(status: ConnectionStatus): boolean {
    return status.synced || status.state === "unreachable" || status.state === "access-denied" ||
        status.state === "failed";
}

/** The store key of a VM: UUIDs are unique per connection, not across them. */
export function vmKey(uri: string, id: string): string {
    return uri + " " + id;
}

/** Live usage of one running VM, one tick (docs/api.md, watch with `"usage": true`). */
export interface VmUsage {
    /** percent of the VM's vCPUs, 0–100 */
    cpu: number;
    /** bytes; the assigned memory when `memoryFromGuest` is false */
    memoryUsed: number;
    memoryTotal: number;
    /** the guest reports memory statistics (balloon driver) */
    memoryFromGuest: boolean;
    /** bytes per second, summed over the VM's disks and interfaces */
    diskRead: number;
    diskWrite: number;
    netRx: number;
    netTx: number;
    /** false while the VM's QEMU does not answer */
    responding: boolean;
}

/** The host of a connection, one tick. */
export interface HostUsage {
    cpus: number;
    /** percent of all host CPUs */
    cpu: number;
    memoryTotal: number;
    memoryUsed: number;
}

/** The helper's usage history of one VM (op `history`): columns of equal length, oldest first. */
export interface UsageSeries {
    /** Unix seconds */
    time: number[];
    cpu: number[];
    memoryUsed: number[];
    diskRead: number[];
    diskWrite: number[];
    netRx: number[];
    netTx: number[];
}

/** States in which a VM has a QEMU process, and so usage. */
export function isActive(state: VmState): boolean {
    return state === "running" || state === "blocked" || state === "paused" || state === "pmsuspended" ||
        state === "shutdown";
}
