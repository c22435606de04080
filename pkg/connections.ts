// Which libvirt connections the page watches, and how it names them (the local ones: connection-uris.ts).

import { savedConnectionUris } from "./client/saved-connections.ts";
import { currentUser } from "./client/transport/early-user.ts";
import { earlySavedUris } from "./client/transport/early-watch.ts";
import { SESSION_URI, SYSTEM_URI, overrideUris, urisFor } from "./connection-uris.ts";

const _ = cockpit.gettext;

/** The connections the page watches first: the local ones (root sees the system connection only; everyone else
 * also has a session libvirt of their own), or the test override; `more`: saved hosts may join them. */
export async function firstConnectionUris(): Promise<{ uris: string[]; more: boolean }> {
    const override = overrideUris();
    if (override)
        return { uris: override, more: false };
    // the early scripts asked for the user already: this is its answer, not another round trip.
    return { uris: urisFor(await currentUser()), more: true };
}

/** The user's saved connections to other hosts (op `connections`) not among `watched`: the list the early scripts asked
 * for, or else asked now. */
export async function moreConnectionUris(watched: readonly string[]): Promise<string[]> {
    const saved = await earlySavedUris() ?? await savedConnectionUris().catch((ex: unknown) => {
        console.warn("virt: cannot read the saved connections", ex);
        return [];
    });
    return saved.filter(uri => !watched.includes(uri));
}

/** A remote URI's `[user@]host[:port]`, with `/session` when it names that; null for local URIs. */
export function remoteHost(uri: string): string | null {
    const match = /^qemu\+(?:ssh|tls|tcp):\/\/([^/?]+)\/(system|session)/.exec(uri);
    if (!match)
        return null;
    const [, host = "", path] = match;
    return path === "session" ? `${host} (${_("session")})` : host;
}

export function connectionLabel(uri: string): string {
    if (uri === SYSTEM_URI)
        return _("System");
    if (uri === SESSION_URI)
        return _("Session");
    return remoteHost(uri) ?? uri;
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
