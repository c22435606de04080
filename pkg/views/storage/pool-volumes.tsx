// A pool's expanded row: its volumes (listed when the row opens, again whenever the pool changes — an event or
// our own operation — never on a timer), with the VMs using each; create, upload, download, resize, wipe, delete several
// at once.

import { Alert } from "@patternfly/react-core/dist/esm/components/Alert/index.js";
import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { Flex, FlexItem } from "@patternfly/react-core/dist/esm/layouts/Flex/index.js";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table/dist/esm/components/Table/index.js";
import { useCallback, useEffect, useState } from "react";

import { OpError } from "../../client/one-shot.ts";
import { runPoolAction } from "../../client/resource-ops.ts";
import type { Pool } from "../../client/resources-client.ts";
import { showVolumeSizeDialog } from "../../dialogs/volume-size.tsx";
import { showWipeVolumeDialog } from "../../dialogs/wipe-volume.tsx";
import { formatBytes } from "../../format.ts";

import { useVolumeTransfers } from "./volume-transfer.tsx";

const _ = cockpit.gettext;

export interface Volume {
    name: string;
    path: string;
    type: string;
    format: string | null;
    capacity: number;
    allocation: number;
    usedBy: string[];
}

/** A failed volume operation: the helper's message, and its problem and reason codes where it gave them. */
interface VolumeError { message: string; problem: string; reason: string }

function volumeError(ex: unknown): VolumeError {
    if (ex instanceof OpError)
        return { message: ex.message, problem: ex.problem, reason: ex.reason ?? "" };
    return { message: ex instanceof Error ? ex.message : String(ex), problem: "", reason: "" };
}

function errorTitle(error: VolumeError): string {
    return error.reason === "backing-volume" ? _("The backing volume cannot be used") : _("The volume operation failed");
}

export function PoolVolumes({ uri, pool }: { uri: string; pool: Pool }) {
    const [volumes, setVolumes] = useState<Volume[] | null>(null);
    const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
    const [error, setError] = useState<VolumeError | null>(null);
    const [busy, setBusy] = useState(false);

    const load = useCallback(() => {
        if (!pool.active)
            return;
        runPoolAction(uri, pool.id, "volumes")
                .then(r => setVolumes((r.volumes as Volume[] | undefined) ?? []), (ex: unknown) => setError(volumeError(ex)));
    }, [uri, pool.id, pool.active]);
    // Listed again whenever the helper re-read the pool (an event, or an operation of ours).
    useEffect(() => { load() }, [load, pool.refreshed]);

    const act = async (action: string, params: Record<string, cockpit.JsonValue>) => {
        setBusy(true);
        setError(null);
        try {
            const result = await runPoolAction(uri, pool.id, action, params);
            const errors = result.errors as { name: string; message: string }[] | undefined;
            if (errors && errors.length > 0)
                setError({ message: errors.map(e => `${e.name}: ${e.message}`).join("\n"), problem: "", reason: "" });
            setSelected(new Set());
        } catch (ex) {
            setError(volumeError(ex));
        } finally {
            setBusy(false);
            load();
        }
    };

    const transfers = useVolumeTransfers(uri, pool.id, busy, error => {
        setError(error === null ? null : { message: error, problem: "", reason: "" });
        load();
    });

    if (!pool.active)
        return <p className="virt-muted">{_("Start the pool to see its volumes.")}</p>;

    const toggle = (name: string, on: boolean) => setSelected(old => {
        const next = new Set(old);
        if (on)
            next.add(name);
        else
            next.delete(name);
        return next;
    });

    return (
        <div className="virt-pool-volumes" data-volumes={pool.name} data-loaded={volumes ? "true" : "false"}>
            {error && <Alert variant="danger" isInline title={errorTitle(error)} data-test="volume-error"
                             data-problem={error.problem} data-reason={error.reason}>{error.message}</Alert>}
            <Flex>
                <FlexItem>
                    <Button variant="secondary" size="sm" isDisabled={busy}
                            onClick={() => void showVolumeSizeDialog({
                                title: _("Create volume"), withName: true, available: pool.available, rawOnly: pool.type === "disk",
                                backingChoices: volumes ?? [],
                            }).then(v => v && act("create-volume", {
                                name: v.name, capacity: v.capacity, format: v.format, ...(v.backing ? { backing: v.backing } : {}),
                            }))}>
                        {_("Create volume")}
                    </Button>
                </FlexItem>
                <FlexItem>{transfers.uploadButton}</FlexItem>
                <FlexItem>
                    <Button variant="secondary" isDanger size="sm" isDisabled={busy || selected.size === 0}
                            onClick={() => void act("delete-volumes", { names: [...selected] })}>
                        {cockpit.format(_("Delete selected ($0)"), selected.size)}
                    </Button>
                </FlexItem>
            </Flex>
            {transfers.progress}
            {volumes && volumes.length === 0 && <p className="virt-muted">{_("No volumes")}</p>}
            {volumes && volumes.length > 0 &&
                <Table variant="compact" aria-label={cockpit.format(_("Volumes of $0"), pool.name)}>
                    <Thead>
                        <Tr>
                            <Th screenReaderText={_("Select")} />
                            <Th modifier="nowrap">{_("Name")}</Th>
                            <Th modifier="nowrap">{_("Format")}</Th>
                            <Th modifier="nowrap">{_("Size")}</Th>
                            <Th modifier="nowrap">{_("Allocated")}</Th>
                            <Th modifier="nowrap">{_("Used by")}</Th>
                            <Th screenReaderText={_("Actions")} />
                        </Tr>
                    </Thead>
                    <Tbody>
                        {volumes.map((v, rowIndex) => (
                            <Tr key={v.name} data-volume={v.name}>
                                <Td select={{ rowIndex, isSelected: selected.has(v.name), onSelect: (_ev, on) => toggle(v.name, on) }} />
                                <Td dataLabel={_("Name")}>{v.name}</Td>
                                <Td dataLabel={_("Format")}>{v.format ?? v.type}</Td>
                                <Td dataLabel={_("Size")}>{formatBytes(v.capacity)}</Td>
                                <Td dataLabel={_("Allocated")}>{formatBytes(v.allocation)}</Td>
                                <Td dataLabel={_("Used by")}>{v.usedBy.length > 0 ? v.usedBy.join(", ") : "—"}</Td>
                                <Td className="virt-resource-actions">
                                    <Button variant="link" size="sm" isDisabled={busy}
                                            onClick={() => void showVolumeSizeDialog({ title: cockpit.format(_("Resize $0"), v.name), withName: false, available: pool.available, current: v.capacity })
                                                    .then(r => r && act("resize-volume", { name: v.name, capacity: r.capacity }))}>
                                        {_("Resize")}
                                    </Button>
                                    <Button variant="link" isDanger size="sm" isDisabled={busy}
                                            onClick={() => void showWipeVolumeDialog(v.name)
                                                    .then(yes => { if (yes) return act("wipe-volume", { name: v.name }) })}>
                                        {_("Wipe")}
                                    </Button>
                                    <Button variant="link" size="sm" isDisabled={busy || transfers.busy}
                                            data-test="volume-download" onClick={() => transfers.download(v.name)}>
                                        {_("Download")}
                                    </Button>
                                </Td>
                            </Tr>))}
                    </Tbody>
                </Table>}
        </div>
    );
}
