// The storage pools page (#/storage): every pool of every connection with its capacity, state and autostart,
// live from the `resources` watch; start, stop, refresh, autostart, delete (optionally with its volumes), and
// "Create storage pool".

import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { Switch } from "@patternfly/react-core/dist/esm/components/Switch/index.js";
import { Tbody, Td, Th, Tr } from "@patternfly/react-table/dist/esm/components/Table/index.js";

import type { Pool } from "../../client/resources-client.ts";
import { runPoolAction } from "../../client/resource-ops.ts";
import { connectionLabel } from "../../connections.ts";
import { showCreatePoolDialog } from "../../dialogs/create-pool.tsx";
import { showDeletePoolDialog } from "../../dialogs/delete-pool.tsx";
import { formatBytes } from "../../format.ts";
import { RowExtras, ResourcePage, resourceRows, useExpanded } from "../resource-page.tsx";
import { ActiveLabel, useResources, useRowActions } from "../resource-parts.tsx";
import { type ResourceFocus, resourceHref } from "../routes.ts";
import { vmsUsingPool } from "../resource-use.ts";

import { PoolVolumes } from "./pool-volumes.tsx";

const _ = cockpit.gettext;

function CapacityBar({ pool }: { pool: Pool }) {
    if (!pool.active || pool.capacity === 0)
        return <span className="virt-muted">—</span>;
    const percent = Math.min(100, pool.allocation / pool.capacity * 100);
    const label = cockpit.format(_("$0 of $1 used"), formatBytes(pool.allocation), formatBytes(pool.capacity));
    return (
        <div className="virt-capacity">
            <div className="virt-meter" role="meter" aria-label={label} aria-valuemin={0} aria-valuemax={100}
                 aria-valuenow={Math.round(percent)}>
                <div className="virt-meter-bar" style={{ inlineSize: `${percent}%` }} />
            </div>
            <span className="virt-capacity-text">{label}</span>
        </div>
    );
}

/** `focus`: a deep link's one pool, shown alone with its volumes open. */
export function StoragePage({ focus }: { focus: ResourceFocus | null }) {
    const resources = useResources();
    const { busy, failures, run, dismiss } = useRowActions();
    const { isOpen, toggle } = useExpanded(focus !== null);
    const many = resources.length > 1;
    const columns = many ? 9 : 8;
    const rows = resourceRows(resources, r => r.pools, focus);

    const act = (uri: string, pool: Pool, action: string, title: string, params = {}) =>
        run(pool.id, title, () => runPoolAction(uri, pool.id, action, params));

    return (
        <ResourcePage resources={resources} page="storage" title={_("Storage pools")} driver="storage"
                      driverMissingTitle={_("The storage driver is not available")} driverPackage="libvirt-daemon-driver-storage"
                      createLabel={_("Create storage pool")} onCreate={usable => void showCreatePoolDialog(usable)}
                      emptyTitle={_("No storage pools")} emptyBody={_("Create a storage pool to keep disk images in.")}
                      rowCount={rows.length} focus={focus}
                      notFound={{
                          title: _("Storage pool not found"),
                          body: (name, connection) => cockpit.format(_("There is no storage pool \"$0\" on $1."), name, connection),
                          allLabel: _("Show all storage pools"),
                      }}
                      header={
                          <Tr>
                              <Th screenReaderText={_("Volumes")} />
                              <Th modifier="nowrap">{_("Name")}</Th>
                              {many && <Th modifier="nowrap">{_("Connection")}</Th>}
                              <Th modifier="nowrap">{_("Type")}</Th>
                              <Th modifier="nowrap">{_("Location")}</Th>
                              <Th modifier="nowrap">{_("Size")}</Th>
                              <Th modifier="nowrap">{_("State")}</Th>
                              <Th modifier="nowrap">{_("Autostart")}</Th>
                              <Th screenReaderText={_("Actions")} />
                          </Tr>
                      }>
            {rows.map(({ uri, item: pool }, index) => (
                <Tbody key={uri + " " + pool.id} isExpanded={isOpen(pool.id)}>
                    <Tr data-pool={pool.name} data-state={pool.state}>
                        <Td expand={{ rowIndex: index, isExpanded: isOpen(pool.id), onToggle: () => toggle(pool.id) }} />
                        <Td dataLabel={_("Name")}><a href={resourceHref("storage", uri, pool.name)}>{pool.name}</a></Td>
                        {many && <Td dataLabel={_("Connection")}>{connectionLabel(uri)}</Td>}
                        <Td dataLabel={_("Type")}>{pool.type}</Td>
                        <Td dataLabel={_("Location")} className="virt-path">{pool.path ?? pool.source ?? "—"}</Td>
                        <Td dataLabel={_("Size")}><CapacityBar pool={pool} /></Td>
                        <Td dataLabel={_("State")}><ActiveLabel active={pool.active} state={pool.state} /></Td>
                        <Td dataLabel={_("Autostart")}>
                            <Switch aria-label={cockpit.format(_("Start $0 at boot"), pool.name)}
                                    isChecked={pool.autostart} isDisabled={!pool.persistent || busy.has(pool.id)}
                                    onChange={(_ev, on) => void act(uri, pool, "autostart", _("Failed to change autostart"), { enable: on })} />
                        </Td>
                        <Td className="virt-resource-actions">
                            {pool.active
                                ? <>
                                    <Button variant="secondary" size="sm" isDisabled={busy.has(pool.id)}
                                            onClick={() => void act(uri, pool, "refresh", _("Failed to refresh"))}>
                                        {_("Refresh")}
                                    </Button>
                                    <Button variant="secondary" size="sm" isDisabled={busy.has(pool.id)}
                                            onClick={() => void act(uri, pool, "stop", _("Failed to stop"))}>
                                        {_("Stop")}
                                    </Button>
                                </>
                                : <Button variant="secondary" size="sm" isDisabled={busy.has(pool.id)}
                                          onClick={() => void act(uri, pool, "start", _("Failed to start"))}>
                                    {_("Start")}
                                </Button>}
                            <Button variant="link" isDanger size="sm" isDisabled={busy.has(pool.id)}
                                    onClick={() => void showDeletePoolDialog(pool, vmsUsingPool(uri, pool)).then(choice => {
                                        if (choice)
                                            return act(uri, pool, "delete", _("Failed to delete"), { volumes: choice.volumes });
                                    })}>
                                {_("Delete")}
                            </Button>
                        </Td>
                    </Tr>
                    <RowExtras columns={columns} failure={failures[pool.id]} onDismiss={() => dismiss(pool.id)}
                               open={isOpen(pool.id)}>
                        <PoolVolumes uri={uri} pool={pool} />
                    </RowExtras>
                </Tbody>
            ))}
        </ResourcePage>
    );
}
