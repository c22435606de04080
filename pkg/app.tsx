// The page: the list, one VM's page or one VM's console alone, chosen by cockpit.location; plus the dialog host.
// The create dialog has routes of its own (#/create, #/import) over the list, so links can open it prefilled.

import { Page } from "@patternfly/react-core/dist/esm/components/Page/index.js";
import { useSyncExternalStore } from "react";

import { ConsolePage } from "./console/console-page.tsx";
import { CreateVmDialog } from "./dialogs/create-vm/create-vm-dialog.tsx";
import { DialogHost } from "./dialogs/dialog-host.tsx";
import { NetworksPage } from "./views/networks/networks-page.tsx";
import { parseRoute } from "./views/routes.ts";
import { StoragePage } from "./views/storage/storage-page.tsx";
import { VmList } from "./views/vm-list.tsx";
import { VmPage } from "./views/vm-page.tsx";

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
            {route.page === "vm" && <VmPage key={route.uri + " " + route.name} uri={route.uri} name={route.name} />}
            {route.page === "console" &&
                <ConsolePage key={route.uri + " " + route.name + " " + route.kind}
                             uri={route.uri} name={route.name} kind={route.kind} />}
            {route.page === "storage" && <StoragePage />}
            {route.page === "networks" && <NetworksPage />}
            {(route.page === "list" || route.page === "create") && <VmList />}
            {route.page === "create" &&
                <CreateVmDialog key={cockpit.location.href} prefill={route} onClose={() => cockpit.location.go([])} />}
            <DialogHost />
        </Page>
    );
}
