// The VM page's Shared directories card: host directories shared with the VM (virtiofs), by mount tag, and which
// configuration they are in; share another, stop sharing.

import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { ActionsColumn } from "@patternfly/react-table/dist/esm/components/Table/ActionsColumn.js";
import { Td, Th, Tr } from "@patternfly/react-table/dist/esm/components/Table/index.js";

import { showAddFilesystem, showRemoveFilesystem } from "../dialogs/devices/filesystem-dialogs.tsx";
import type { Vm } from "../types.ts";

import { DeviceCard, PresenceLabel } from "./device-parts.tsx";
import { filesystemRows } from "./device-rows.ts";

const _ = cockpit.gettext;

export function FilesystemsCard({ vm }: { vm: Vm }) {
    const rows = filesystemRows(vm);
    const add = <Button variant="secondary" id="virt-add-filesystem-button" onClick={() => { void showAddFilesystem(vm) }}>{_("Share directory")}</Button>;
    return (
        <DeviceCard className="virt-card-filesystems" title={_("Shared directories")} action={add}
                    empty={_("No shared directories")} rowCount={rows.length}
                    header={
                        <Tr>
                            <Th>{_("Host directory")}</Th>
                            <Th>{_("Mount tag")}</Th>
                            <Th>{_("Access")}</Th>
                            <Th screenReaderText={_("Actions")} />
                        </Tr>
                    }>
            {rows.map(row => {
                const fs = row.device;
                return (
                    <Tr key={row.key} data-tag={fs.tag} data-presence={row.presence}>
                        <Td dataLabel={_("Host directory")} className="virt-mono">
                            {fs.source ?? "–"} <PresenceLabel presence={row.presence} />
                        </Td>
                        <Td dataLabel={_("Mount tag")} className="virt-mono">{fs.tag}</Td>
                        <Td dataLabel={_("Access")}>{fs.readonly ? _("Read-only") : _("Read and write")}</Td>
                        <Td isActionCell>
                            <ActionsColumn items={[{ title: _("Remove…"), onClick: () => { void showRemoveFilesystem(vm, fs) } }]} />
                        </Td>
                    </Tr>
                );
            })}
        </DeviceCard>
    );
}
