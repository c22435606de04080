// The VM page's Snapshots card: the snapshot tree (op `snapshot` watch: the helper sends the list again whenever the
// snapshots change, also when made elsewhere, since libvirt has no snapshot events), with create, revert, delete and
// clone from a snapshot; and the Clone VM button.

import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { Card, CardBody, CardHeader, CardTitle } from "@patternfly/react-core/dist/esm/components/Card/index.js";
import { Label } from "@patternfly/react-core/dist/esm/components/Label/index.js";
import { Flex } from "@patternfly/react-core/dist/esm/layouts/Flex/index.js";
import { ActionsColumn } from "@patternfly/react-table/dist/esm/components/Table/ActionsColumn.js";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table/dist/esm/components/Table/index.js";
import { useEffect, useState } from "react";

import { type Snapshot, snapshotTree, watchSnapshots } from "../client/snapshot.ts";
import { showClone } from "../dialogs/snapshots/clone-vm.tsx";
import { confirmDelete, confirmRevert } from "../dialogs/snapshots/confirm-snapshot.tsx";
import { showCreateSnapshot } from "../dialogs/snapshots/create-snapshot.tsx";
import { stateLabel } from "../format.ts";
import type { Vm, VmState } from "../types.ts";

const _ = cockpit.gettext;

function heldState(state: string): string {
    if (state === "disk-snapshot")
        return _("Disks only");
    return stateLabel(state as VmState);
}

/** The snapshots, kept current by a watch while the card is shown; opened again when `generation` changes. */
function useSnapshots(vm: Vm, generation: number): { snapshots: Snapshot[] | null; failure: string | null } {
    const [snapshots, setSnapshots] = useState<Snapshot[] | null>(null);
    const [failure, setFailure] = useState<string | null>(null);
    useEffect(() => {
        let live = true;
        const stop = watchSnapshots(vm.uri, vm.id,
                                    list => { if (live) { setSnapshots(list); setFailure(null) } },
                                    message => { if (live) setFailure(message) });
        return () => { live = false; stop() };
    }, [vm.uri, vm.id, generation]);
    return { snapshots, failure };
}

export function SnapshotsCard({ vm }: { vm: Vm }) {
    const [generation, setGeneration] = useState(0);
    const { snapshots, failure } = useSnapshots(vm, generation);
    const relist = (changed: boolean) => { if (changed) setGeneration(g => g + 1) };
    const rows = snapshotTree(snapshots ?? []);
    const parents = new Set((snapshots ?? []).map(s => s.parent));

    const actions = (
        <Flex>
            <Button variant="secondary" id="virt-clone-button" onClick={() => { void showClone(vm) }}>
                {_("Clone VM")}
            </Button>
            <Button variant="secondary" id="virt-create-snapshot-button"
                    onClick={() => { void showCreateSnapshot(vm).then(relist) }}>
                {_("Create snapshot")}
            </Button>
        </Flex>
    );
    let body;
    if (failure)
        body = <span className="virt-snapshots-failure">{failure}</span>;
    else if (snapshots === null)
        body = _("Loading…");
    else if (rows.length === 0)
        body = _("No snapshots");
    else {
        body = (
            <Table aria-label={_("Snapshots")} variant="compact" role="treegrid" className="virt-snapshots">
                <Thead>
                    <Tr>
                        <Th>{_("Name")}</Th>
                        <Th>{_("Created")}</Th>
                        <Th>{_("VM state")}</Th>
                        <Th>{_("Kind")}</Th>
                        <Th screenReaderText={_("Actions")} />
                    </Tr>
                </Thead>
                <Tbody>
                    {rows.map(({ snapshot: s, depth }) => (
                        <Tr key={s.name} data-snapshot={s.name} aria-level={depth + 1}>
                            <Td dataLabel={_("Name")}>
                                <div style={{ paddingInlineStart: `${depth * 1.5}rem` }}>
                                    {depth > 0 && <span aria-hidden="true">└ </span>}
                                    <strong>{s.name}</strong>
                                    {s.current && <> <Label isCompact color="blue">{_("Current")}</Label></>}
                                    {s.description && <div className="virt-secondary">{s.description}</div>}
                                </div>
                            </Td>
                            <Td dataLabel={_("Created")}>
                                {s.creationTime ? new Date(s.creationTime * 1000).toLocaleString() : "–"}
                            </Td>
                            <Td dataLabel={_("VM state")}>{heldState(s.state)}</Td>
                            <Td dataLabel={_("Kind")}>
                                {s.location === "external" ? _("External") : _("Internal")}
                                {", "}
                                {s.memory ? _("with memory") : _("disks only")}
                            </Td>
                            <Td isActionCell>
                                <ActionsColumn items={[
                                    { title: _("Revert…"), onClick: () => { void confirmRevert(vm, s).then(relist) } },
                                    { title: _("Clone…"), description: _("A new VM from this snapshot"), onClick: () => { void showClone(vm, s.name) } },
                                    { isSeparator: true },
                                    { title: _("Delete…"), onClick: () => { void confirmDelete(vm, s, parents.has(s.name)).then(relist) } },
                                ]} />
                            </Td>
                        </Tr>
                    ))}
                </Tbody>
            </Table>
        );
    }
    return (
        <Card className="virt-card-snapshots">
            <CardHeader actions={{ actions, hasNoOffset: true }}>
                <CardTitle component="h2">{_("Snapshots")}</CardTitle>
            </CardHeader>
            <CardBody>{body}</CardBody>
        </Card>
    );
}
