// One creation: the `create` channel, its cancel, and on success the new VM's page once the VM list has it
// (so the page does not flash "VM not found" before the watch reports the new VM).

import { type CreateSpec, type CreatedVm, type Progress, createVm } from "../../client/create.ts";
import { OpError } from "../../client/one-shot.ts";
import { vmStore } from "../../store/vm-store.ts";
import { vmPath } from "../../views/routes.ts";

/** How long to wait for the watch to report the new VM before opening its page anyway. */
const SHOW_WAIT_MS = 5000;

export interface CreationHandlers {
    /** the channel is open; `cancel` closes it */
    onStart: (cancel: () => void) => void;
    onProgress: (progress: Progress) => void;
    onCancelled: () => void;
    onFailed: (err: OpError) => void;
}

function openVmPage(uri: string, vm: CreatedVm): void {
    const go = () => cockpit.location.go(vmPath({ uri, name: vm.name }));
    if (vmStore.findByName(uri, vm.name)) {
        go();
        return;
    }
    let timer = 0;
    const unsubscribe = vmStore.listListeners.subscribe(() => {
        if (vmStore.findByName(uri, vm.name)) {
            window.clearTimeout(timer);
            unsubscribe();
            go();
        }
    });
    timer = window.setTimeout(() => { unsubscribe(); go() }, SHOW_WAIT_MS);
}

export function runCreation(uri: string, spec: CreateSpec, handlers: CreationHandlers): void {
    const creation = createVm(uri, spec, handlers.onProgress);
    let cancelled = false;
    handlers.onStart(() => {
        if (cancelled)
            return;
        cancelled = true;
        // Finished before the cancel arrived: `done` below opens the new VM instead.
        void creation.cancel().then(stopped => {
            if (stopped)
                handlers.onCancelled();
        });
    });
    creation.done.then(vm => openVmPage(uri, vm), (err: unknown) => {
        if (!cancelled)
            handlers.onFailed(err instanceof OpError ? err : new OpError("internal-error", String(err)));
    });
}
