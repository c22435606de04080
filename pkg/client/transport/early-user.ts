// The logged-in user, asked for with the early channels (early-open.ts) on their transport
// (own-socket.ts): the store needs the user's uid before it takes the system connection's watch (root's never
// changes route), and cockpit.user()'s answer comes through the shell, often after the watch's first message.
// Both are asked; whichever answers first is the user (`currentUser`). The early scripts and index.js are separate
// bundles: they meet on a window property.

import { openEarlyTransportChannel } from "./own-socket.ts";

/** No answer by then: cockpit.user()'s is the one. */
const USER_TIMEOUT_MS = 10000;
const CALL_ID = "virt-user";

declare global {
    interface Window {
        virtEarlyUser?: Promise<cockpit.UserInfo>;
    }
}

type Variant = { t?: unknown; v?: unknown };

function variantValue(props: Record<string, unknown>, name: string): unknown {
    const variant = props[name];
    return typeof variant === "object" && variant !== null ? (variant as Variant).v : undefined;
}

/** cockpit.User's properties (a{sv} as dbus-json3 gives them) as cockpit.user() gives them; null if malformed. */
function parseUserProperties(props: unknown): cockpit.UserInfo | null {
    if (typeof props !== "object" || props === null)
        return null;
    const p = props as Record<string, unknown>;
    const id = variantValue(p, "Id");
    const gid = variantValue(p, "Gid");
    const name = variantValue(p, "Name");
    const full = variantValue(p, "Full");
    const groups = variantValue(p, "Groups");
    const home = variantValue(p, "Home");
    const shell = variantValue(p, "Shell");
    if (typeof id !== "number" || !Number.isInteger(id) || id < 0 || typeof name !== "string")
        return null;
    return {
        id,
        ...typeof gid === "number" && Number.isInteger(gid) ? { gid } : {},
        name,
        full_name: typeof full === "string" ? full : "",
        groups: Array.isArray(groups) ? groups.filter((g): g is string => typeof g === "string") : [],
        home: typeof home === "string" ? home : "",
        shell: typeof shell === "string" ? shell : "",
    };
}

/** The reply to our GetAll call in one dbus-json3 message: the user, an error, or nothing of ours. */
function readReply(data: string): cockpit.UserInfo | Error | null {
    let message: unknown;
    try {
        message = JSON.parse(data);
    } catch {
        return new Error("cockpit.User: not JSON");
    }
    if (typeof message !== "object" || message === null || (message as { id?: unknown }).id !== CALL_ID)
        return null;
    const { reply, error } = message as { reply?: unknown; error?: unknown };
    if (error !== undefined)
        return new Error(`cockpit.User: ${JSON.stringify(error).slice(0, 200)}`);
    const props = Array.isArray(reply) && Array.isArray(reply[0]) ? (reply[0] as unknown[])[0] : undefined;
    return parseUserProperties(props) ?? new Error("cockpit.User: unexpected reply");
}

function askUser(): Promise<cockpit.UserInfo> {
    return new Promise((resolve, reject) => {
        const channel = openEarlyTransportChannel({ payload: "dbus-json3", bus: "internal" });
        let finished = false;
        const done = (result: cockpit.UserInfo | Error) => {
            // closing the channel below calls back here: the first result stands
            if (finished)
                return;
            finished = true;
            window.clearTimeout(timer);
            if (channel.valid)
                channel.close();
            if (result instanceof Error) {
                reject(result);
            } else {
                performance.mark("virt:early-user");
                resolve(result);
            }
        };
        const timer = window.setTimeout(() => done(new Error("cockpit.User: no answer")), USER_TIMEOUT_MS);
        channel.addEventListener("message", (_ev, data) => {
            const result = readReply(data);
            if (result)
                done(result);
        });
        channel.addEventListener("close", (_ev, options) => done(new Error(options.message ?? options.problem ?? "closed")));
        channel.send(JSON.stringify({
            call: ["/user", "org.freedesktop.DBus.Properties", "GetAll", ["cockpit.User"]], id: CALL_ID, type: "s",
        }));
    });
}

/** early-open.ts: asks for the user on the early channels' transport (once). */
export function askUserEarly(): void {
    if (window.virtEarlyUser)
        return;
    window.virtEarlyUser = askUser();
    window.virtEarlyUser.catch(() => undefined); // cockpit.user() answers then
}

/** The logged-in user: the first answer of the early ask and cockpit.user(); rejects only if both fail. */
export function currentUser(): Promise<cockpit.UserInfo> {
    const early = window.virtEarlyUser;
    return early ? Promise.any([early, cockpit.user()]) : cockpit.user();
}
