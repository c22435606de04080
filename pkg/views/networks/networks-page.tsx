// The virtual networks page (#/networks): every network of every connection, live from the `resources` watch;
// start, stop, autostart, delete (warning which VMs use it), "Create network", and per network its DHCP leases
// and static hosts.

import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { Switch } from "@patternfly/react-core/dist/esm/components/Switch/index.js";
import { Tbody, Td, Th, Tr } from "@patternfly/react-table/dist/esm/components/Table/index.js";

import { runNetworkAction } from "../../client/resource-ops.ts";
import type { Network } from "../../client/resources-client.ts";
import { connectionLabel } from "../../connections.ts";
import { showCreateNetworkDialog } from "../../dialogs/create-network.tsx";
import { showDeleteNetworkDialog } from "../../dialogs/delete-network.tsx";
import { RowExtras, ResourcePage, resourceRows, useExpanded } from "../resource-page.tsx";
import { ActiveLabel, useResources, useRowActions } from "../resource-parts.tsx";
import { type ResourceFocus, resourceHref } from "../routes.ts";
import { vmsUsingNetwork } from "../resource-use.ts";

import { NetworkDetails } from "./network-details.tsx";

const _ = cockpit.gettext;

function forwardLabel(forward: string | null): string {
    switch (forward) {
    case null: return _("Isolated");
    case "nat": return _("NAT");
    case "route": return _("Routed");
    case "open": return _("Open");
    case "bridge": return _("Host bridge");
    default: return forward;
    }
}

/** `focus`: a deep link's one network, shown alone with its details open. */
export function NetworksPage({ focus }: { focus: ResourceFocus | null }) {
    const resources = useResources();
    const { busy, failures, run, dismiss } = useRowActions();
    const { isOpen, toggle } = useExpanded(focus !== null);
    const many = resources.length > 1;
    const rows = resourceRows(resources, r => r.networks, focus);
    const columns = many ? 10 : 9;

    const act = (uri: string, network: Network, action: string, title: string, params = {}) =>
        run(network.id, title, () => runNetworkAction(uri, network.id, action, params));

    return (
        <ResourcePage resources={resources} page="networks" title={_("Networks")} driver="network"
                      driverMissingTitle={_("The network driver is not available")} driverPackage="libvirt-daemon-driver-network"
                      createLabel={_("Create network")} onCreate={usable => void showCreateNetworkDialog(usable.map(r => r.uri))}
                      emptyTitle={_("No networks")}
                      emptyBody={_("Create a virtual network to connect VMs to each other and to the outside.")}
                      rowCount={rows.length} focus={focus}
                      notFound={{
                          title: _("Network not found"),
                          body: (name, connection) => cockpit.format(_("There is no network \"$0\" on $1."), name, connection),
                          allLabel: _("Show all networks"),
                      }}
                      header={
                          <Tr>
                              <Th screenReaderText={_("Details")} />
                              <Th modifier="nowrap">{_("Name")}</Th>
                              {many && <Th modifier="nowrap">{_("Connection")}</Th>}
                              <Th modifier="nowrap">{_("Forwarding")}</Th>
                              <Th modifier="nowrap">{_("Bridge")}</Th>
                              <Th modifier="nowrap">{_("Addresses")}</Th>
                              <Th modifier="nowrap">{_("DHCP range")}</Th>
                              <Th modifier="nowrap">{_("State")}</Th>
                              <Th modifier="nowrap">{_("Autostart")}</Th>
                              <Th screenReaderText={_("Actions")} />
                          </Tr>
                      }>
            {rows.map(({ uri, item: network }, index) => {
                const ranges = network.ips.flatMap(ip => ip.dhcpRanges);
                const open = isOpen(network.id);
                return (
                    <Tbody key={uri + " " + network.id} isExpanded={open}>
                        <Tr data-network={network.name} data-active={network.active ? "true" : "false"}>
                            <Td expand={{ rowIndex: index, isExpanded: open, onToggle: () => toggle(network.id) }} />
                            <Td dataLabel={_("Name")}><a href={resourceHref("networks", uri, network.name)}>{network.name}</a></Td>
                            {many && <Td dataLabel={_("Connection")}>{connectionLabel(uri)}</Td>}
                            <Td dataLabel={_("Forwarding")}>{forwardLabel(network.forward)}</Td>
                            <Td dataLabel={_("Bridge")}>
                                {network.bridge ?? "—"}
                                {network.mtu !== null &&
                                    <div className="virt-muted" data-test="network-mtu">{cockpit.format(_("MTU $0"), network.mtu)}</div>}
                            </Td>
                            <Td dataLabel={_("Addresses")} data-test="network-addresses">
                                {network.ips.length > 0 ? network.ips.map(ip => <div key={ip.address}>{`${ip.address}/${ip.prefix}`}</div>) : "—"}
                            </Td>
                            <Td dataLabel={_("DHCP range")}>
                                {ranges.length > 0 ? ranges.map(r => <div key={r.start}>{`${r.start} – ${r.end}`}</div>) : "—"}
                            </Td>
                            <Td dataLabel={_("State")}><ActiveLabel active={network.active} /></Td>
                            <Td dataLabel={_("Autostart")}>
                                <Switch aria-label={cockpit.format(_("Start $0 at boot"), network.name)}
                                        isChecked={network.autostart}
                                        isDisabled={!network.persistent || busy.has(network.id)}
                                        onChange={(_ev, on) => void act(uri, network, "autostart", _("Failed to change autostart"), { enable: on })} />
                            </Td>
                            <Td className="virt-resource-actions">
                                {network.active
                                    ? <Button variant="secondary" size="sm" isDisabled={busy.has(network.id)}
                                              onClick={() => void act(uri, network, "stop", _("Failed to stop"))}>
                                        {_("Stop")}
                                    </Button>
                                    : <Button variant="secondary" size="sm" isDisabled={busy.has(network.id)}
                                              onClick={() => void act(uri, network, "start", _("Failed to start"))}>
                                        {_("Start")}
                                    </Button>}
                                <Button variant="link" isDanger size="sm" isDisabled={busy.has(network.id)}
                                        onClick={() => void showDeleteNetworkDialog(network, vmsUsingNetwork(uri, network.name)).then(yes => {
                                            if (yes)
                                                return act(uri, network, "delete", _("Failed to delete"));
                                        })}>
                                    {_("Delete")}
                                </Button>
                            </Td>
                        </Tr>
                        <RowExtras columns={columns} failure={failures[network.id]} onDismiss={() => dismiss(network.id)} open={open}>
                            <NetworkDetails uri={uri} network={network} />
                        </RowExtras>
                    </Tbody>
                );
            })}
        </ResourcePage>
    );
}
