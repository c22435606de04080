// A network's expanded row: its DHCP leases (asked when the row opens, and on "Refresh") and its static DHCP
// hosts, with add and remove.

import { Alert } from "@patternfly/react-core/dist/esm/components/Alert/index.js";
import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { TextInput } from "@patternfly/react-core/dist/esm/components/TextInput/index.js";
import { Title } from "@patternfly/react-core/dist/esm/components/Title/index.js";
import { Flex, FlexItem } from "@patternfly/react-core/dist/esm/layouts/Flex/index.js";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table/dist/esm/components/Table/index.js";
import { useCallback, useEffect, useState } from "react";

import { runNetworkAction } from "../../client/resource-ops.ts";
import type { Network } from "../../client/resources-client.ts";

import { DnsHosts } from "./dns-hosts.tsx";

const _ = cockpit.gettext;

interface Lease { mac: string | null; ip: string | null; prefix: number; hostname: string | null; expiry: number }

function message(ex: unknown): string {
    return ex instanceof Error ? ex.message : String(ex);
}

export function NetworkDetails({ uri, network }: { uri: string; network: Network }) {
    const [leases, setLeases] = useState<Lease[] | null>(null);
    const [error, setError] = useState<string | null>(null);
    const [host, setHost] = useState({ mac: "", name: "", ip: "" });
    const [busy, setBusy] = useState(false);
    const ipv4 = network.ips.find(ip => ip.family === "ipv4");

    const loadLeases = useCallback(() => {
        if (!network.active)
            return;
        runNetworkAction(uri, network.id, "leases")
                .then(r => setLeases((r.leases as Lease[] | undefined) ?? []), (ex: unknown) => setError(message(ex)));
    }, [uri, network.id, network.active]);
    useEffect(loadLeases, [loadLeases]);

    const change = async (action: "add-host" | "remove-host", params: Record<string, string>) => {
        setBusy(true);
        setError(null);
        try {
            await runNetworkAction(uri, network.id, action, params);
            if (action === "add-host")
                setHost({ mac: "", name: "", ip: "" });
        } catch (ex) {
            setError(message(ex));
        } finally {
            setBusy(false);
        }
    };

    const hostParams = (h: { mac: string | null; name: string | null; ip: string }) => {
        const params: Record<string, string> = { ip: h.ip };
        if (h.mac)
            params.mac = h.mac;
        if (h.name)
            params.name = h.name;
        return params;
    };

    return (
        <div className="virt-network-details" data-details={network.name}>
            {error && <Alert variant="danger" isInline title={_("The change failed")}>{error}</Alert>}
            <Flex alignItems={{ default: "alignItemsCenter" }}>
                <FlexItem><Title headingLevel="h3" size="md">{_("DHCP leases")}</Title></FlexItem>
                <FlexItem><Button variant="link" size="sm" onClick={loadLeases}>{_("Refresh")}</Button></FlexItem>
            </Flex>
            {!network.active && <p className="virt-muted">{_("The network is not running.")}</p>}
            {network.active && leases && leases.length === 0 && <p className="virt-muted" data-test="no-leases">{_("No leases")}</p>}
            {network.active && leases && leases.length > 0 &&
                <Table variant="compact" aria-label={_("DHCP leases")} data-test="leases">
                    <Thead><Tr><Th>{_("MAC address")}</Th><Th>{_("IP address")}</Th><Th>{_("Host name")}</Th><Th>{_("Expires")}</Th></Tr></Thead>
                    <Tbody>
                        {leases.map(l => (
                            <Tr key={`${l.mac}-${l.ip}`}>
                                <Td>{l.mac ?? "—"}</Td><Td>{l.ip ? `${l.ip}/${l.prefix}` : "—"}</Td>
                                <Td>{l.hostname ?? "—"}</Td><Td>{new Date(l.expiry * 1000).toLocaleString()}</Td>
                            </Tr>))}
                    </Tbody>
                </Table>}
            {ipv4 && <>
                <Title headingLevel="h3" size="md">{_("Static DHCP hosts")}</Title>
                <Table variant="compact" aria-label={_("Static DHCP hosts")} data-test="dhcp-hosts">
                    <Thead><Tr><Th>{_("MAC address")}</Th><Th>{_("Host name")}</Th><Th>{_("IP address")}</Th><Th screenReaderText={_("Actions")} /></Tr></Thead>
                    <Tbody>
                        {ipv4.hosts.map(h => (
                            <Tr key={`${h.mac}-${h.ip}`} data-host={h.ip}>
                                <Td>{h.mac ?? "—"}</Td><Td>{h.name ?? "—"}</Td><Td>{h.ip}</Td>
                                <Td isActionCell>
                                    <Button variant="link" isDanger size="sm" isDisabled={busy}
                                            onClick={() => void change("remove-host", hostParams(h))}>{_("Remove")}</Button>
                                </Td>
                            </Tr>))}
                        <Tr>
                            <Td><TextInput aria-label={_("MAC address")} placeholder="52:54:00:…" value={host.mac}
                                           onChange={(_ev, v) => setHost({ ...host, mac: v })} id={`host-mac-${network.name}`} /></Td>
                            <Td><TextInput aria-label={_("Host name")} value={host.name}
                                           onChange={(_ev, v) => setHost({ ...host, name: v })} id={`host-name-${network.name}`} /></Td>
                            <Td><TextInput aria-label={_("IP address")} value={host.ip}
                                           onChange={(_ev, v) => setHost({ ...host, ip: v })} id={`host-ip-${network.name}`} /></Td>
                            <Td isActionCell>
                                <Button variant="secondary" size="sm" isDisabled={busy || !host.ip || (!host.mac && !host.name)}
                                        onClick={() => void change("add-host", hostParams(host))}>{_("Add")}</Button>
                            </Td>
                        </Tr>
                    </Tbody>
                </Table>
            </>}
            <DnsHosts uri={uri} network={network} />
        </div>
    );
}
