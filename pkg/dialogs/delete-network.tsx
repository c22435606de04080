// Deleting a virtual network, naming the VMs whose interfaces use it (they lose their link).

import type { Network } from "../client/resources-client.ts";

import { DeleteResourceDialog } from "./delete-resource.tsx";
import { openDialog } from "./dialog-host.tsx";

const _ = cockpit.gettext;

function DeleteNetworkDialog({ network, users, onDone }: {
    network: Network; users: readonly string[]; onDone: (yes: boolean) => void;
}) {
    return (
        <DeleteResourceDialog kind="network" title={cockpit.format(_("Delete network $0?"), network.name)}
                              onDelete={() => onDone(true)} onCancel={() => onDone(false)}>
            {users.length > 0
                ? cockpit.format(_("In use by $0: their interfaces lose their link and they cannot start until it is changed."), users.join(", "))
                : _("The network is stopped and its definition removed.")}
        </DeleteResourceDialog>
    );
}

export function showDeleteNetworkDialog(network: Network, users: readonly string[]): Promise<boolean> {
    return openDialog<boolean>(done => <DeleteNetworkDialog network={network} users={users} onDone={done} />);
}
