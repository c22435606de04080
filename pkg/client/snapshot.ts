// ops `snapshot` and `clone` (docs/api.md): one channel per request; long jobs report progress and take a cancel.

import { openOneShot } from "./one-shot.ts";

export interface Snapshot {
    name: string;
    description: string;
    /** the VM state it holds: running, paused, shutoff, disk-snapshot, … */
    state: string;
    /** seconds since the epoch */
    creationTime: number;
    parent: string | null;
    location: "internal" | "external";
    memory: boolean;
    memoryFile: string | null;
    current: boolean;
}

export interface SnapshotOptions {
    suggestedName: string;
    running: boolean;
    location: "internal" | "external";
    internalRefused: string | null;
    memory: boolean;
    directory: string | null;
    /** bytes, or null when it cannot be read from here */
    free: number | null;
    memoryBytes: number;
    disks: string[];
}

export interface CloneOptions {
    suggestedName: string;
    running: boolean;
    pools: { name: string; path: string | null; free: number }[];
    pool: string | null;
    disks: string[];
}

/** A job's progress: bytes done of total where the job counts them. */
export interface JobProgress {
    done?: number;
    total?: number;
    step?: string;
    message?: string;
}

export interface Job<T> {
    done: Promise<T>;
    /** Asks the helper to abort (snapshot jobs: virDomainAbortJob; clone: roll back). */
    cancel(): void;
}

function runJob<T>(options: Record<string, cockpit.JsonValue>, onProgress?: (p: JobProgress) => void): Job<T> {
    const shot = openOneShot(options, message => {
        const progress = message.progress as JobProgress | undefined;
        if (progress && onProgress)
            onProgress(progress);
    });
    return {
        done: shot.done.then(r => r.messages.find(m => !("progress" in m) && !("cancel" in m)) as T),
        cancel: () => shot.send({ cancel: true }),
    };
}

export type SnapshotAction = "list" | "options" | "create" | "revert" | "delete";

export function runSnapshot<T = { ok: boolean }>(uri: string, vm: string, action: SnapshotAction,
                                                 params: Record<string, cockpit.JsonValue> = {},
                                                 onProgress?: (p: JobProgress) => void): Job<T> {
    return runJob<T>({ op: "snapshot", uri, vm, action, ...params }, onProgress);
}

export function runClone<T = { vm: { id: string; name: string } }>(uri: string, vm: string, action: "options" | "clone",
                                                                  params: Record<string, cockpit.JsonValue> = {},
                                                                  onProgress?: (p: JobProgress) => void): Job<T> {
    return runJob<T>({ op: "clone", uri, vm, action, ...params }, onProgress);
}

/**
 * Watches one VM's snapshots (action `watch`): `onList` gets the list now and again whenever the helper sees them
 * change (made or deleted elsewhere too), `onFailure` the message of a close with a problem. Returns the stop.
 */
export function watchSnapshots(uri: string, vm: string, onList: (snapshots: Snapshot[]) => void,
                               onFailure: (message: string) => void): () => void {
    const shot = openOneShot({ op: "snapshot", uri, vm, action: "watch" }, message => {
        if (Array.isArray(message.snapshots))
            onList(message.snapshots as Snapshot[]);
    });
    shot.done.catch((ex: unknown) => onFailure(ex instanceof Error ? ex.message : String(ex)));
    return () => { void shot.close() };
}

/** The snapshots as a tree: roots (no parent, or a parent that is gone) first, each followed by its children. */
export interface SnapshotRow {
    snapshot: Snapshot;
    depth: number;
}

export function snapshotTree(snapshots: Snapshot[]): SnapshotRow[] {
    const names = new Set(snapshots.map(s => s.name));
    const children = new Map<string | null, Snapshot[]>();
    for (const s of snapshots) {
        const parent = s.parent && names.has(s.parent) ? s.parent : null;
        children.set(parent, [...children.get(parent) ?? [], s]);
    }
    const rows: SnapshotRow[] = [];
    const walk = (parent: string | null, depth: number) => {
        for (const s of children.get(parent) ?? []) {
            rows.push({ snapshot: s, depth });
            if (depth < 64)
                walk(s.name, depth + 1);
        }
    };
    walk(null, 0);
    return rows;
}
