// Directory listings for path completion: Cockpit's own `fslist1` channel (both bridges, 287 and 337, serve it;
// with `watch: false` it lists once and closes). No helper op is needed for reading a directory.

import { openOneShot } from "./one-shot.ts";

export interface DirEntry {
    name: string;
    type: "file" | "directory" | "link" | "special";
}

function entryType(type: unknown): DirEntry["type"] {
    return type === "directory" || type === "link" || type === "special" ? type : "file";
}

/** The entries of directory `path`; rejects when it cannot be read. `signal` abandons the listing. */
export async function listDirectory(path: string, signal?: AbortSignal): Promise<DirEntry[]> {
    const shot = openOneShot({ payload: "fslist1", path, watch: false });
    signal?.addEventListener("abort", () => { shot.close().catch(() => {}) });
    const { messages } = await shot.done;
    return messages.flatMap(msg => (msg.event === "present" && typeof msg.path === "string"
        ? [{ name: msg.path, type: entryType(msg.type) }]
        : []));
}
