// Per-VM action progress and failures, by VM key: which action runs now (spinner, no double submit) and the
// last failure (an inline alert next to that VM until dismissed). Kept apart from the VM store: the helper
// knows nothing of it, and a row's alert must not depend on the watch stream.

import type { VmAction } from "../client/action.ts";

import { KeyedListeners, Listeners } from "./listeners.ts";

export interface ActionFailure {
    /** what failed, e.g. "Could not pause the VM" */
    title: string;
    problem: string;
    message: string;
    /** the full text behind `message`, shown on request */
    detail?: string;
}

export interface VmActionState {
    pending: VmAction | null;
    failure: ActionFailure | null;
}

const IDLE: VmActionState = { pending: null, failure: null };

export class ActionStateStore {
    #states = new Map<string, VmActionState>();
    #failedKeys: ReadonlySet<string> = new Set();

    readonly listeners = new KeyedListeners();
    /** notified when the set of VMs with a failure changes (the list reserves room for their alerts) */
    readonly failedListeners = new Listeners();

    get = (key: string): VmActionState => this.#states.get(key) ?? IDLE;

    getFailedKeys = (): ReadonlySet<string> => this.#failedKeys;

    #set(key: string, state: VmActionState): void {
        if (state.pending === null && state.failure === null)
            this.#states.delete(key);
        else
            this.#states.set(key, state);
        this.listeners.notify(key);

        const failed = state.failure !== null;
        if (failed !== this.#failedKeys.has(key)) {
            const next = new Set(this.#failedKeys);
            if (failed)
                next.add(key);
            else
                next.delete(key);
            this.#failedKeys = next;
            this.failedListeners.notify();
        }
    }

    /** Marks `action` as running; false when another action already runs on this VM. */
    begin(key: string, action: VmAction): boolean {
        if (this.get(key).pending !== null)
            return false;
        this.#set(key, { pending: action, failure: null });
        return true;
    }

    succeed(key: string): void {
        this.#set(key, IDLE);
    }

    fail(key: string, failure: ActionFailure): void {
        this.#set(key, { pending: null, failure });
    }

    dismiss(key: string): void {
        this.#set(key, { ...this.get(key), failure: null });
    }
}

export const actionState = new ActionStateStore();
