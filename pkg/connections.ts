// Which libvirt connections the page watches, and how it names them.

const _ = cockpit.gettext;

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

/** root sees the system connection only; everyone else also has a session libvirt of their own. */
export async function connectionUris(): Promise<string[]> {
    const override = overrideUris();
    if (override)
        return override;
    return urisFor(await cockpit.user());
}

export function urisFor(user: cockpit.UserInfo): string[] {
    return user.id === 0 ? [SYSTEM_URI] : [SYSTEM_URI, SESSION_URI];
}

export function connectionLabel(uri: string): string {
    if (uri === SYSTEM_URI)
        return _("System");
    if (uri === SESSION_URI)
        return _("Session");
    return uri;
}

/** The connection's segment of a VM page's path: short names for the two usual URIs, else the URI itself. */
export function connectionSegment(uri: string): string {
    if (uri === SYSTEM_URI)
        return "system";
    if (uri === SESSION_URI)
        return "session";
    return uri;
}

export function connectionFromSegment(segment: string): string {
    if (segment === "system")
        return SYSTEM_URI;
    if (segment === "session")
        return SESSION_URI;
    return segment;
}
