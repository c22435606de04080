// The VM actions the page offers: when each makes sense, how it is labelled, whether it asks first, and the one
// function that runs them (progress and failures go to store/action-state.ts).

import { type ActionParams, ActionError, type VmAction, runAction } from "./client/action.ts";
import { actionState } from "./store/action-state.ts";
import { addNotice } from "./store/notices.ts";
import { type Vm, type VmState, vmKey } from "./types.ts";

const _ = cockpit.gettext;

export type ActionId =
    "start" | "shutdown" | "destroy" | "reboot" | "reset" | "suspend" | "resume" | "nmi" |
    "autostart-on" | "autostart-off" | "delete";

export interface Confirmation {
    title: (name: string) => string;
    body: string;
    button: string;
    danger: boolean;
}

export interface ActionDef {
    id: ActionId;
    action: VmAction;
    params: ActionParams;
    label: string;
    /** a line under the label in the menu */
    description?: string;
    /** title of the alert when it fails */
    failure: string;
    /** ask before doing it (the delete dialog is separate: it also asks about storage) */
    confirm?: Confirmation;
    available: (vm: Vm) => boolean;
}

const ACTIVE: readonly VmState[] = ["running", "blocked", "paused", "shutdown", "crashed", "pmsuspended", "nostate"];
const RUNNING: readonly VmState[] = ["running", "blocked"];

const inState = (states: readonly VmState[]) => (vm: Vm) => states.includes(vm.state);

export const ACTIONS: Record<ActionId, ActionDef> = {
    start: {
        id: "start", action: "start", params: {}, label: _("Run"), failure: _("Could not run the VM"),
        available: inState(["shutoff"]),
    },
    resume: {
        id: "resume", action: "resume", params: {}, label: _("Resume"), failure: _("Could not resume the VM"),
        available: inState(["paused"]),
    },
    shutdown: {
        id: "shutdown", action: "shutdown", params: {}, label: _("Shut down"), failure: _("Could not shut down the VM"),
        available: inState(RUNNING),
        confirm: {
            title: name => cockpit.format(_("Shut down $0?"), name),
            body: _("The guest operating system is asked to shut down. It may take a while, and a guest without ACPI support or a guest agent may ignore the request."),
            button: _("Shut down"),
            danger: false,
        },
    },
    destroy: {
        id: "destroy", action: "destroy", params: {}, label: _("Force shut down"), failure: _("Could not force the VM off"),
        available: inState(ACTIVE),
        confirm: {
            title: name => cockpit.format(_("Force shut down $0?"), name),
            body: _("The VM is turned off at once, like pulling the power cord. Data the guest has not written to disk is lost."),
            button: _("Force shut down"),
            danger: true,
        },
    },
    reboot: {
        id: "reboot", action: "reboot", params: {}, label: _("Reboot"), failure: _("Could not reboot the VM"),
        available: inState(RUNNING),
        confirm: {
            title: name => cockpit.format(_("Reboot $0?"), name),
            body: _("The guest operating system is asked to restart."),
            button: _("Reboot"),
            danger: false,
        },
    },
    reset: {
        id: "reset", action: "reset", params: {}, label: _("Force reboot"), failure: _("Could not reset the VM"),
        available: inState(RUNNING),
        confirm: {
            title: name => cockpit.format(_("Force reboot $0?"), name),
            body: _("The VM is reset at once, like pressing its reset button. Data the guest has not written to disk is lost."),
            button: _("Force reboot"),
            danger: true,
        },
    },
    suspend: {
        id: "suspend", action: "suspend", params: {}, label: _("Pause"), failure: _("Could not pause the VM"),
        available: inState(RUNNING),
    },
    nmi: {
        id: "nmi", action: "nmi", params: {}, label: _("Send non-maskable interrupt"),
        failure: _("Could not send a non-maskable interrupt"),
        available: inState(RUNNING),
        confirm: {
            title: name => cockpit.format(_("Send a non-maskable interrupt to $0?"), name),
            body: _("Guests usually answer a non-maskable interrupt by writing a crash dump or entering a debugger; some stop."),
            button: _("Send NMI"),
            danger: true,
        },
    },
    "autostart-on": {
        id: "autostart-on", action: "autostart", params: { enable: true }, label: _("Enable autostart"),
        description: _("Autostart is off"), failure: _("Could not enable autostart"),
        available: vm => vm.persistent && !vm.autostart,
    },
    "autostart-off": {
        id: "autostart-off", action: "autostart", params: { enable: false }, label: _("Disable autostart"),
        description: _("Autostart is on: the VM starts when the host boots"), failure: _("Could not disable autostart"),
        available: vm => vm.persistent && vm.autostart,
    },
    delete: {
        id: "delete", action: "delete", params: {}, label: _("Delete"), failure: _("Could not delete the VM"),
        available: vm => vm.persistent,
    },
};

/** Menu order, in groups separated by dividers. */
export const MENU_GROUPS: readonly (readonly ActionId[])[] = [
    ["start", "resume", "shutdown", "destroy", "reboot", "reset", "suspend", "nmi"],
    ["autostart-on", "autostart-off"],
    ["delete"],
];

/** The button shown beside the menu: the obvious next step for the VM's state. */
export function primaryAction(vm: Vm): ActionDef | null {
    switch (vm.state) {
    case "shutoff": return ACTIONS.start;
    case "paused": return ACTIONS.resume;
    case "running":
    case "blocked": return ACTIONS.shutdown;
    default: return ACTIONS.destroy;
    }
}

/** Runs `def` on `vm` (after any confirmation); at most one action per VM at a time. */
export async function performAction(vm: Vm, def: ActionDef, extra: ActionParams = {}): Promise<void> {
    const key = vmKey(vm.uri, vm.id);
    if (!actionState.begin(key, def.action))
        return;
    try {
        const result = await runAction(vm.uri, vm.id, def.action, { ...def.params, ...extra });
        actionState.succeed(key);
        const storageErrors = result.storageErrors ?? [];
        if (storageErrors.length > 0) {
            addNotice({
                variant: "warning",
                title: cockpit.format(_("$0 was deleted, but some of its storage was not"), vm.name),
                details: storageErrors.map(e => e.message.includes(e.path)
                    ? cockpit.format("$0: $1", e.target, e.message)
                    : cockpit.format("$0 ($1): $2", e.path, e.target, e.message)),
            });
        }
    } catch (ex) {
        const problem = ex instanceof ActionError ? ex.problem : "internal-error";
        const message = ex instanceof Error ? ex.message : String(ex);
        const detail = ex instanceof ActionError ? ex.detail : undefined;
        actionState.fail(key, { title: def.failure, problem, message, ...detail ? { detail } : {} });
    }
}
