// Deleting a storage pool: the definition only, or also its volumes and directory. Deleting the volumes is
// offered only while no VM uses one (the helper refuses it too, naming the VMs).

import { Checkbox } from "@patternfly/react-core/dist/esm/components/Checkbox/index.js";
import { Stack, StackItem } from "@patternfly/react-core/dist/esm/layouts/Stack/index.js";
import { useState } from "react";

import type { Pool } from "../client/resources-client.ts";

import { DeleteResourceDialog } from "./delete-resource.tsx";
import { openDialog } from "./dialog-host.tsx";

const _ = cockpit.gettext;

function DeletePoolDialog({ pool, users, onDone }: {
    pool: Pool; users: readonly string[]; onDone: (choice: { volumes: boolean } | null) => void;
}) {
    const [volumes, setVolumes] = useState(false);
    return (
        <DeleteResourceDialog kind="pool" title={cockpit.format(_("Delete storage pool $0?"), pool.name)}
                              onDelete={() => onDone({ volumes })} onCancel={() => onDone(null)}>
            <Stack hasGutter>
                <StackItem>{_("The pool is stopped and its definition removed.")}</StackItem>
                <StackItem>
                    <Checkbox id="delete-pool-volumes" isChecked={volumes} isDisabled={users.length > 0}
                              onChange={(_ev, v) => setVolumes(v)}
                              label={_("Also delete every volume in it and its storage")}
                              description={users.length > 0
                                  ? cockpit.format(_("Not possible: volumes are in use by $0."), users.join(", "))
                                  : pool.path ?? undefined} />
                </StackItem>
            </Stack>
        </DeleteResourceDialog>
    );
}

export function showDeletePoolDialog(pool: Pool, users: readonly string[]): Promise<{ volumes: boolean } | null> {
    return openDialog<{ volumes: boolean } | null>(done => <DeletePoolDialog pool={pool} users={users} onDone={done} />);
}
