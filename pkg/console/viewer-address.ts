// Where a desktop VNC viewer (remote-viewer, TigerVNC, macOS Screen Sharing) on the browser's machine can reach a
// VM's display, or why it cannot and what to do instead. Pure: the page passes where it runs.

import type { GraphicsDevice } from "./devices.ts";

export type ViewerAddress =
    | { reachable: true; host: string; port: number }
    | { reachable: false; reason: "socket" | "stopped" | "loopback"; port?: number };

/** Where the page runs: the browser's host name for the Cockpit server, and cockpit.transport.host. */
export interface PageOrigin {
    browserHost: string;
    transportHost: string;
}

const LOOPBACK = /^(127\.|::1$|localhost$|\[::1\]$)/;
const WILDCARD = new Set(["0.0.0.0", "::", "[::]", ""]);

/** The managed machine's address as this browser sees it. */
export function managedHost(origin: PageOrigin): string {
    if (origin.transportHost && origin.transportHost !== "localhost")
        return origin.transportHost.replace(/^.*@/, "");
    return origin.browserHost;
}

export function viewerAddress(display: GraphicsDevice, origin: PageOrigin): ViewerAddress {
    if (display.socket)
        return { reachable: false, reason: "socket" };
    if (!display.port)
        return { reachable: false, reason: "stopped" };
    const listen = display.listen ?? "";
    const host = managedHost(origin);
    if (LOOPBACK.test(listen)) {
        // Only a viewer on the managed machine itself can connect.
        const browserOnHost = LOOPBACK.test(host);
        return browserOnHost
            ? { reachable: true, host: "127.0.0.1", port: display.port }
            : { reachable: false, reason: "loopback", port: display.port };
    }
    return { reachable: true, host: WILDCARD.has(listen) ? host : listen, port: display.port };
}

/** A virt-viewer connection file (remote-viewer opens it; the format is virt-viewer's "[virt-viewer]" INI). */
export function vvFile(title: string, host: string, port: number): string {
    const clean = (s: string) => s.replace(/[\r\n]/g, " ");
    return [
        "[virt-viewer]",
        "type=vnc",
        `host=${clean(host)}`,
        `port=${port}`,
        `title=${clean(title)}`,
        "delete-this-file=1",
        "",
    ].join("\n");
}

/** vnc:// URL; IPv6 literals in brackets. */
export function vncUrl(host: string, port: number): string {
    const h = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
    return `vnc://${h}:${port}`;
}
