// The shell's Administrative access, followed live: `cockpit.Superuser` on the shell's internal bus says which
// privileged bridge runs ("none" when access is limited, "init" while the shell starts). Also the way to turn it on
// from the page: the same Start/Prompt/Answer calls the shell's own dialog makes.

import { Emitter } from "../emitter.ts";

import { superuserProxy } from "./early-privilege.ts";

export interface PrivilegeState {
    /** null until the shell has told */
    admin: boolean | null;
    /** a privileged bridge (sudo, pkexec) is configured at all */
    configured: boolean;
}

interface Events extends Record<string, unknown> {
    changed: PrivilegeState;
}

/** How long to wait for the shell's answer before taking access as limited. */
const SETTLE_MS = 3000;

class Privilege extends Emitter<Events> {
    #proxy: cockpit.DBusProxy | null = null;
    #state: PrivilegeState = { admin: null, configured: false };
    #settled: Promise<void> | null = null;

    get state(): PrivilegeState {
        return this.#state;
    }

    /** Starts following the shell (once); resolves when the state is known or after SETTLE_MS. */
    settled(): Promise<void> {
        this.#settled ??= new Promise<void>(resolve => {
            const proxy = superuserProxy();
            this.#proxy = proxy;
            const update = () => {
                this.#update(proxy);
                if (this.#state.admin !== null)
                    resolve();
            };
            proxy.addEventListener("changed", update);
            proxy.wait().then(update, () => {
                this.#set({ admin: false, configured: false });
                resolve();
            });
            window.setTimeout(resolve, SETTLE_MS);
        });
        return this.#settled;
    }

    /** The shell's superuser proxy, for the admin access dialog. */
    get proxy(): cockpit.DBusProxy | null {
        return this.#proxy;
    }

    #update(proxy: cockpit.DBusProxy): void {
        const current = proxy.Current;
        if (!proxy.valid) {
            this.#set({ admin: false, configured: false });
            return;
        }
        if (typeof current !== "string" || current === "init")
            return;
        const bridges = proxy.Bridges;
        this.#set({ admin: current !== "none", configured: Array.isArray(bridges) && bridges.length > 0 });
    }

    #set(state: PrivilegeState): void {
        if (state.admin === this.#state.admin && state.configured === this.#state.configured)
            return;
        this.#state = state;
        this.emit("changed", state);
    }
}

export const privilege = new Privilege();
