// One `resources` channel per connection (docs/api.md op `resources`): the pools and networks tables built from
// its snapshot and patches. A channel closed with a problem is reopened with backoff (1 s … 30 s).

import { openOneShot } from "./one-shot.ts";

export interface Pool {
    id: string;
    name: string;
    type: string;
    state: "running" | "inactive" | "building" | "degraded" | "inaccessible";
    active: boolean;
    persistent: boolean;
    autostart: boolean;
    capacity: number;
    allocation: number;
    available: number;
    path: string | null;
    source: string | null;
    /** bumped on each re-read of the pool (an event or an operation): its volumes may have changed */
    refreshed: number;
}

export interface DhcpRange { start: string; end: string }
export interface DhcpHost { mac: string | null; name: string | null; ip: string }

export interface NetworkIp {
    family: "ipv4" | "ipv6";
    address: string;
    prefix: number;
    dhcpRanges: DhcpRange[];
    hosts: DhcpHost[];
}

export interface Network {
    id: string;
    name: string;
    active: boolean;
    persistent: boolean;
    autostart: boolean;
    forward: string | null;
    bridge: string | null;
    ips: NetworkIp[];
    /** names the network's DNS server answers with an address */
    dnsHosts: DnsHost[];
    /** the bridge's MTU in bytes; null: libvirt's default */
    mtu: number | null;
}

export interface DnsHost {
    ip: string;
    hostnames: string[];
}

/** `poolTypes` (storage): each pool type and whether this libvirtd has its backend. */
export type DriverStatus = { state: "available"; poolTypes?: Record<string, boolean> } | { state: "unavailable"; message: string };

export interface ConnectionResources {
    uri: string;
    /** a complete snapshot arrived */
    synced: boolean;
    /** the channel failed: the helper's message */
    failure: string | null;
    drivers: { storage: DriverStatus; network: DriverStatus } | null;
    pools: Readonly<Record<string, Pool>>;
    networks: Readonly<Record<string, Network>>;
}

export function emptyResources(uri: string): ConnectionResources {
    return { uri, synced: false, failure: null, drivers: null, pools: {}, networks: {} };
}

function patch<T>(table: Readonly<Record<string, T>>, changes: unknown): Record<string, T> {
    if (typeof changes !== "object" || changes === null)
        return { ...table };
    const updates = changes as Record<string, T | null>;
    const next: Record<string, T> = {};
    for (const [id, value] of Object.entries(table)) {
        if (!(id in updates))
            next[id] = value;
    }
    for (const [id, value] of Object.entries(updates)) {
        if (value !== null)
            next[id] = value;
    }
    return next;
}

export class ResourcesClient {
    readonly uri: string;
    #state: ConnectionResources;
    #pending: ConnectionResources | null = null;
    #channel: ReturnType<typeof openOneShot> | null = null;
    #retry: number | null = null;
    #failures = 0;
    #onChange: (state: ConnectionResources) => void;

    constructor(uri: string, onChange: (state: ConnectionResources) => void) {
        this.uri = uri;
        this.#state = emptyResources(uri);
        this.#onChange = onChange;
    }

    start(): void {
        if (this.#channel || this.#retry !== null)
            return;
        const channel = openOneShot({ op: "resources", uri: this.uri }, message => this.#apply(message));
        this.#channel = channel;
        channel.done.then(() => this.#closed(null), (ex: unknown) => this.#closed(ex instanceof Error ? ex.message : String(ex)));
    }

    stop(): void {
        if (this.#retry !== null)
            window.clearTimeout(this.#retry);
        this.#retry = null;
        const channel = this.#channel;
        this.#channel = null;
        void channel?.close();
    }

    /** Starts over on another transport (Administrative access changed): what the old one showed is dropped. */
    restart(): void {
        const wasRunning = this.#channel !== null || this.#retry !== null;
        this.stop();
        this.#failures = 0;
        this.#pending = null;
        this.#set(emptyResources(this.uri));
        if (wasRunning)
            this.start();
    }

    #closed(failure: string | null): void {
        if (!this.#channel)
            return; // closed by stop()
        this.#channel = null;
        this.#failures += 1;
        if (failure !== null)
            this.#set({ ...this.#state, failure });
        const delay = Math.min(30000, 1000 * 2 ** Math.min(this.#failures - 1, 5));
        this.#retry = window.setTimeout(() => { this.#retry = null; this.start() }, delay);
    }

    #set(state: ConnectionResources): void {
        this.#state = state;
        this.#onChange(state);
    }

    #apply(message: Record<string, unknown>): void {
        if (message.reset) {
            // Gathered aside until `synced`, so a reconnect does not blink.
            this.#pending = { ...emptyResources(this.uri) };
            return;
        }
        const target = this.#pending ?? this.#state;
        let next = target;
        if (message.drivers)
            next = { ...next, drivers: message.drivers as ConnectionResources["drivers"] };
        if (message.pools)
            next = { ...next, pools: patch(next.pools, message.pools) };
        if (message.networks)
            next = { ...next, networks: patch(next.networks, message.networks) };
        if (message.synced) {
            this.#failures = 0;
            this.#pending = null;
            this.#set({ ...next, synced: true, failure: null });
        } else if (this.#pending) {
            this.#pending = next;
        } else if (next !== this.#state) {
            this.#set(next);
        }
    }
}
