// Searching the osinfo list: every word typed must appear in the OS's name, short id, vendor or version, so
// "deb 12" and "debian" both find Debian 12. The text searched is built once per OS and kept.

import type { OsInfo } from "../../client/osinfo.ts";

const haystacks = new WeakMap<OsInfo, string>();

function haystack(os: OsInfo): string {
    let text = haystacks.get(os);
    if (text === undefined) {
        text = [os.name, os.short_id, os.vendor, os.distro, os.version].filter(Boolean).join(" ").toLowerCase();
        haystacks.set(os, text);
    }
    return text;
}

/** The OSes matching `query` (in list order), end-of-life ones only with `showEol`; at most `limit`, plus the count. */
export function searchOses(oses: readonly OsInfo[], query: string, showEol: boolean,
                           limit: number): { shown: OsInfo[]; total: number } {
    const words = query.toLowerCase().split(/\s+/).filter(w => w !== "");
    const shown: OsInfo[] = [];
    let total = 0;
    for (const os of oses) {
        if (os.eol && !showEol)
            continue;
        const text = haystack(os);
        if (!words.every(w => text.includes(w)))
            continue;
        total++;
        if (shown.length < limit)
            shown.push(os);
    }
    return { shown, total };
}
