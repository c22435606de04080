// The virtual networks page (#/networks): every network of every connection, live from the `resources` watch;
// start, stop, autostart, delete (warning which VMs use it), "Create network", and per network its DHCP leases
// and static hosts.

import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { EmptyState, EmptyStateBody } from "@patternfly/react-core/dist/esm/components/EmptyState/index.js";
import { PageSection } from "@patternfly/react-core/dist/esm/components/Page/index.js";
import { Switch } from "@patternfly/react-core/dist/esm/components/Switch/index.js";
import { Title } from "@patternfly/react-core/dist/esm/components/Title/index.js";
import { Flex, FlexItem } from "@patternfly/react-core/dist/esm/layouts/Flex/index.js";
import { ExpandableRowContent, Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table/dist/esm/components/Table/index.js";
import { useState } from "react";

import { runNetworkAction } from "../../client/resource-ops.ts";
import type { Network } from "../../client/resources-client.ts";
import { connectionLabel } from "../../connections.ts";
import { showCreateNetworkDialog } from "../../dialogs/create-network.tsx";
import { showDeleteNetworkDialog } from "../../dialogs/delete-network.tsx";
import { ActiveLabel, DriverMissing, ResourceBreadcrumb, RowFailure, useResources, useRowActions } from "../resource-parts.tsx";
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

export function NetworksPage() {
    const resources = useResources();
    const { busy, failures, run, dismiss } = useRowActions();
    const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
    const many = resources.length > 1;
    const rows = resources.flatMap(r => Object.values(r.networks).map(network => ({ uri: r.uri, network })))
            .sort((a, b) => a.network.name.localeCompare(b.network.name) || a.uri.localeCompare(b.uri));
    const synced = resources.length > 0 && resources.every(r => r.synced || r.failure);
    const missing = resources.filter(r => r.drivers?.network.state === "unavailable");
    const uris = resources.filter(r => r.drivers?.network.state === "available").map(r => r.uri);
    const columns = many ? 10 : 9;

    const act = (uri: string, network: Network, action: string, title: string, params = {}) =>
        run(network.id, title, () => runNetworkAction(uri, network.id, action, params));
    const toggle = (id: string) => setExpanded(old => {
        const next = new Set(old);
        if (!next.delete(id))
            next.add(id);
        return next;
    });

    return (
        <>
            <ResourceBreadcrumb title={_("Networks")} />
            <PageSection className="virt-resource-page" data-page="networks" data-loaded={synced ? "true" : "false"}>
                <Flex justifyContent={{ default: "justifyContentSpaceBetween" }}>
                    <FlexItem><Title headingLevel="h1" size="2xl">{_("Networks")}</Title></FlexItem>
                    <FlexItem>
                        <Button variant="primary" isDisabled={uris.length === 0}
                                onClick={() => void showCreateNetworkDialog(uris)}>
                            {_("Create network")}
                        </Button>
                    </FlexItem>
                </Flex>
                {missing.map(r => r.drivers?.network.state === "unavailable" &&
                    <DriverMissing key={r.uri} title={_("The network driver is not available")}
                                   message={r.drivers.network.message} pkg="libvirt-daemon-driver-network" />)}
                {synced && rows.length === 0 && missing.length === 0 &&
                    <EmptyState titleText={_("No networks")} headingLevel="h2">
                        <EmptyStateBody>{_("Create a virtual network to connect VMs to each other and to the outside.")}</EmptyStateBody>
                    </EmptyState>}
                {rows.length > 0 &&
                    <Table aria-label={_("Networks")} variant="compact" className="virt-resource-table">
                        <Thead>
                            <Tr>
                                <Th screenReaderText={_("Details")} />
                                <Th modifier="nowrap">{_("Name")}</Th>
                                {many && <Th modifier="nowrap">{_("Connection")}</Th>}
                                <Th modifier="nowrap">{_("Forwarding")}</Th>
                                <Th modifier="nowrap">{_("Bridge")}</Th>
                                <Th modifier="nowrap">{_("IPv4")}</Th>
                                <Th modifier="nowrap">{_("DHCP range")}</Th>
                                <Th modifier="nowrap">{_("State")}</Th>
                                <Th modifier="nowrap">{_("Autostart")}</Th>
                                <Th screenReaderText={_("Actions")} />
                            </Tr>
                        </Thead>
                        {rows.map(({ uri, network }, index) => {
                            const ipv4 = network.ips.find(ip => ip.family === "ipv4");
                            const range = ipv4?.dhcpRanges[0];
                            const open = expanded.has(network.id);
                            return (
                                <Tbody key={uri + " " + network.id} isExpanded={open}>
                                    <Tr data-network={network.name} data-active={network.active ? "true" : "false"}>
                                        <Td expand={{ rowIndex: index, isExpanded: open, onToggle: () => toggle(network.id) }} />
                                        <Td dataLabel={_("Name")}>{network.name}</Td>
                                        {many && <Td dataLabel={_("Connection")}>{connectionLabel(uri)}</Td>}
                                        <Td dataLabel={_("Forwarding")}>{forwardLabel(network.forward)}</Td>
                                        <Td dataLabel={_("Bridge")}>{network.bridge ?? "—"}</Td>
                                        <Td dataLabel={_("IPv4")}>{ipv4 ? `${ipv4.address}/${ipv4.prefix}` : "—"}</Td>
                                        <Td dataLabel={_("DHCP range")}>{range ? `${range.start} – ${range.end}` : "—"}</Td>
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
                                    {failures[network.id] !== undefined &&
                                        <Tr className="virt-row-failure-row">
                                            <Td colSpan={columns}>
                                                <RowFailure failure={failures[network.id] ?? { title: "", message: "" }} onClose={() => dismiss(network.id)} />
                                            </Td>
                                        </Tr>}
                                    {open &&
                                        <Tr isExpanded>
                                            <Td colSpan={columns}>
                                                <ExpandableRowContent><NetworkDetails uri={uri} network={network} /></ExpandableRowContent>
                                            </Td>
                                        </Tr>}
                                </Tbody>
                            );
                        })}
                    </Table>}
            </PageSection>
        </>
    );
}
