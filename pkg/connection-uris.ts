// The local connections' URIs and the test override: what the page's first script (pkg/first.ts) needs to open
// the list's watches, apart from connections.ts so that script's bundle stays free of the client and of cockpit.js.

export const SYSTEM_URI = "qemu:///system";
export const SESSION_URI = "qemu:///session";

/** Tests (and curious admins) may set localStorage["virt:connections"] to a JSON array of URIs. */
const OVERRIDE_KEY = "virt:connections";

export function overrideUris(): string[] | null {
    const raw = window.localStorage.getItem(OVERRIDE_KEY);
    if (raw === null)
        return null;
    try {
        const parsed: unknown = JSON.parse(raw);
        if (Array.isArray(parsed) && parsed.length > 0 && parsed.every(u => typeof u === "string"))
            return parsed;
    } catch {
        // fall through
    }
    console.warn(`Ignoring localStorage["${OVERRIDE_KEY}"]: not a JSON array of URIs`);
    return null;
}

/** The local connections a user watches: root only the system one. */
export function urisFor(user: cockpit.UserInfo): string[] {
    return user.id === 0 ? [SYSTEM_URI] : [SYSTEM_URI, SESSION_URI];
}
