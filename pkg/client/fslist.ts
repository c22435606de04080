// Directory listings for path completion: Cockpit's own `fslist1` channel (both bridges, 287 and 337, serve it;
// with `watch: false` it lists once and closes). No helper op is needed for reading a directory.

export interface DirEntry {
    name: string;
    type: "file" | "directory" | "link" | "special";
}

/** The entries of directory `path`; rejects when it cannot be read. `signal` abandons the listing. */
export function listDirectory(path: string, signal?: AbortSignal): Promise<DirEntry[]> {
    return new Promise((resolve, reject) => {
        const channel = cockpit.channel({ payload: "fslist1", path, watch: false });
        const entries: DirEntry[] = [];
        signal?.addEventListener("abort", () => channel.close());
        channel.addEventListener("message", (_ev, data) => {
            try {
                const msg = JSON.parse(data) as { event?: string; path?: string; type?: string };
                if (msg.event === "present" && typeof msg.path === "string") {
                    const type = msg.type === "directory" || msg.type === "link" || msg.type === "special"
                        ? msg.type : "file";
                    entries.push({ name: msg.path, type });
                }
            } catch {
                // not ours to understand
            }
        });
        channel.addEventListener("close", (_ev, options) => {
            if (signal?.aborted)
                return;
            if (options.problem)
                reject(new Error(options.message ?? cockpit.message(options.problem)));
            else
                resolve(entries);
        });
    });
}
