// The page: the list, one VM's page or one VM's console alone, chosen by cockpit.location; plus the dialog host.
// The create dialog has routes of its own (#/create, #/import) over the list, so links can open it prefilled.
// Everything but the list loads on first use (lazy-views.ts); until its chunk is there, nothing shows in its place.

import { Page } from "@patternfly/react-core/dist/esm/components/Page/index.js";
import { Suspense, useSyncExternalStore } from "react";

import { DialogHost } from "./dialogs/dialog-host.tsx";
import { ConsolePage, CreateVmDialog, NetworksPage, StoragePage, VmPage } from "./lazy-views.ts";
import { parseRoute } from "./views/routes.ts";
import { VmList } from "./views/vm-list.tsx";

function subscribeLocation(cb: () => void): () => void {
    cockpit.addEventListener("locationchanged", cb);
    return () => cockpit.removeEventListener("locationchanged", cb);
}

const locationHref = () => cockpit.location.href;

export function App() {
    // cockpit.location is rebuilt from the hash when it changes; subscribing makes React look again then.
    useSyncExternalStore(subscribeLocation, locationHref);
    const route = parseRoute(cockpit.location.path, cockpit.location.options);

    return (
        <Page className="virt-page" isContentFilled>
            <Suspense fallback={null}>
                {route.page === "vm" && <VmPage key={route.uri + " " + route.name} uri={route.uri} name={route.name} />}
                {route.page === "console" &&
                    <ConsolePage key={route.uri + " " + route.name + " " + route.kind}
                                 uri={route.uri} name={route.name} kind={route.kind} />}
                {route.page === "storage" && <StoragePage focus={route.focus} />}
                {route.page === "networks" && <NetworksPage focus={route.focus} />}
            </Suspense>
            {(route.page === "list" || route.page === "create") && <VmList />}
            {/* a boundary of its own: the list stays while the dialog's chunk loads */}
            <Suspense fallback={null}>
                {route.page === "create" &&
                    <CreateVmDialog key={cockpit.location.href} prefill={route} onClose={() => cockpit.location.go([])} />}
            </Suspense>
            <DialogHost />
        </Page>
    );
}
