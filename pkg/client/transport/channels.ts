// The one channel factory every page client uses. A `virt1` channel for the local system connection goes to the
// helper run as root (PeerStream) while the shell's Administrative access is on and the user is not root;
// everything else goes to the user's own helper through cockpit-bridge. Clients cannot tell the two apart; when
// the route of a connection changes, "route" tells the store to reopen that connection's watch.

import { Emitter } from "../emitter.ts";

import { PeerStream } from "./peer-stream.ts";
import { currentUser } from "./early-user.ts";
import { takeEarlyWatch } from "./early-watch.ts";
import { privilege } from "./privilege.ts";
import { forcedStream } from "./stream-override.ts";

export type Route = "user" | "admin";

/** qemu:///system, also spelled with an explicit unix transport or socket */
const LOCAL_SYSTEM = /^qemu(\+unix)?:\/\/\/system(\?|$)/;

interface Events extends Record<string, unknown> {
    /** the route of the local system connection changed */
    route: Route;
}

class Transport extends Emitter<Events> {
    #user: cockpit.UserInfo | null = null;
    #peer: PeerStream | null = null;
    #executable: Promise<string> | null = null;
    #systemRoute: Route = "user";
    #ready: Promise<void> | null = null;
    readonly #forceStream = forcedStream();

    /** Resolves once the user and the shell's privilege state are known, so the first channels go the right way. */
    ready(): Promise<void> {
        this.#ready ??= (async () => {
            const settled = privilege.settled();
            const user = await currentUser().catch(() => null);
            // root's channels never change route: no need to wait for the shell's privilege state
            if (user?.id !== 0)
                await settled;
            this.#user = user;
            performance.mark("virt:ready");
            this.#systemRoute = this.#computeRoute();
            privilege.on("changed", () => this.#followPrivilege());
            // A sudoer may turn access on any moment: know the helper's path by then, so the switch costs no round
            // trip more than spawning it.
            if (user && user.id !== 0 && privilege.state.configured)
                this.#helperExecutable().catch(() => undefined);
        })();
        return this.#ready;
    }

    /** Whether `uri`'s channels change transport with Administrative access (the local system connection). */
    followsPrivilege(uri: unknown): boolean {
        return typeof uri === "string" && LOCAL_SYSTEM.test(uri);
    }

    /**
     * The local system connection follows Administrative access; so do host-wide ops without a connection
     * (osinfo: detecting an ISO that only root may read). Other connections are the user's own.
     */
    routeFor(uri: unknown): Route {
        return uri === undefined || this.followsPrivilege(uri) ? this.#systemRoute : "user";
    }

    open(options: cockpit.ChannelOptions): cockpit.Channel {
        if (options.payload !== "virt1") {
            // Cockpit's own payloads (fslist1 for path completion) see what root sees while access is on.
            return cockpit.channel(this.#systemRoute === "admin" ? { ...options, superuser: "try" } : options);
        }
        if (this.#forceStream || this.routeFor(options.uri) === "admin")
            return this.#adminPeer().open(options);
        return takeEarlyWatch(options) ?? cockpit.channel(options);
    }

    /** The logged-in user, once ready() resolved (null if cockpit could not tell). */
    get user(): cockpit.UserInfo | null {
        return this.#user;
    }

    #computeRoute(): Route {
        const uid = this.#user?.id;
        return privilege.state.admin === true && uid !== undefined && uid !== 0 ? "admin" : "user";
    }

    #followPrivilege(): void {
        const route = this.#computeRoute();
        if (route === this.#systemRoute)
            return;
        this.#systemRoute = route;
        if (route === "user") {
            this.#peer?.close();
            this.#peer = null;
        }
        this.emit("route", route);
    }

    #adminPeer(): PeerStream {
        if (!this.#peer || this.#peer.ended)
            this.#peer = new PeerStream(this.#helperExecutable(), { superuser: !this.#forceStream });
        return this.#peer;
    }

    /** The running helper's own path (op `info`), asked once; asked again after a failure. */
    #helperExecutable(): Promise<string> {
        this.#executable ??= new Promise<string>((resolve, reject) => {
            const channel = cockpit.channel({ payload: "virt1", op: "info" });
            channel.addEventListener("close", (_ev, options) => {
                if (!options.problem && typeof options.executable === "string" && options.executable.startsWith("/")) {
                    resolve(options.executable);
                } else {
                    this.#executable = null;
                    reject(new Error(options.message ?? cockpit.message(options.problem ?? "internal-error")));
                }
            });
        });
        return this.#executable;
    }
}

export const transport = new Transport();

export function openChannel(options: cockpit.ChannelOptions): cockpit.Channel {
    return transport.open(options);
}
