// The shell's cockpit.Superuser proxy, asked for by boot.js (pkg/boot.ts) as early as cockpit.js allows, so
// both are known by the time the store decides which route the first channels take (channels.ts, privilege.ts).
// boot.js and index.js are separate bundles: they meet on a window property.

const SUPERUSER: [string, string] = ["cockpit.Superuser", "/superuser"];

declare global {
    interface Window {
        virtEarlySuperuser?: cockpit.DBusProxy;
    }
}

/** boot.ts: starts loading the proxy's properties, and the user (cockpit.js keeps the answer). */
export function askPrivilegeEarly(): void {
    window.virtEarlySuperuser ??= cockpit.dbus(null, { bus: "internal" }).proxy(...SUPERUSER);
    cockpit.user().catch(() => undefined);
}

/** privilege.ts: the proxy boot.js asked for (once), or a new one. */
export function superuserProxy(): cockpit.DBusProxy {
    const early = window.virtEarlySuperuser;
    delete window.virtEarlySuperuser;
    return early ?? cockpit.dbus(null, { bus: "internal" }).proxy(...SUPERUSER);
}
