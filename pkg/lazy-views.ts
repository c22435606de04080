// What the list does not need, out of the first script: the VM page, a console alone, the storage and network pages
// and the create dialog are chunks of their own, fetched when first shown, or prefetched once the list is loaded
// and the browser is idle, so the first click does not wait for them.

import { lazy } from "react";

const loaders = {
    vmPage: () => import("./views/vm-page.tsx"),
    consolePage: () => import("./console/console-page.tsx"),
    storagePage: () => import("./views/storage/storage-page.tsx"),
    networksPage: () => import("./views/networks/networks-page.tsx"),
    createDialog: () => import("./dialogs/create-vm/create-vm-dialog.tsx"),
};

export const VmPage = lazy(() => loaders.vmPage().then(m => ({ default: m.VmPage })));
export const ConsolePage = lazy(() => loaders.consolePage().then(m => ({ default: m.ConsolePage })));
export const StoragePage = lazy(() => loaders.storagePage().then(m => ({ default: m.StoragePage })));
export const NetworksPage = lazy(() => loaders.networksPage().then(m => ({ default: m.NetworksPage })));
export const CreateVmDialog = lazy(() => loaders.createDialog().then(m => ({ default: m.CreateVmDialog })));

/** How long prefetching waits for an idle moment at most. */
const PREFETCH_TIMEOUT_MS = 5000;

let prefetched = false;

/** Fetches every lazy chunk (once) when the browser is next idle; a failure is retried when the view shows. */
export function prefetchWhenIdle(): void {
    if (prefetched)
        return;
    prefetched = true;
    const run = () => {
        for (const load of Object.values(loaders))
            load().catch(() => undefined);
    };
    if (typeof window.requestIdleCallback === "function")
        window.requestIdleCallback(run, { timeout: PREFETCH_TIMEOUT_MS });
    else
        window.setTimeout(run, 1000);
}
