// A network's DNS host entries (names its DNS server answers with an address): listed from the resource table,
// added and removed live through op `network` (add-dns-host / remove-dns-host); the helper checks the names.

import { Alert } from "@patternfly/react-core/dist/esm/components/Alert/index.js";
import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { TextInput } from "@patternfly/react-core/dist/esm/components/TextInput/index.js";
import { Title } from "@patternfly/react-core/dist/esm/components/Title/index.js";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table/dist/esm/components/Table/index.js";
import { useState } from "react";

import { runNetworkAction } from "../../client/resource-ops.ts";
import type { Network } from "../../client/resources-client.ts";

const _ = cockpit.gettext;

export function DnsHosts({ uri, network }: { uri: string; network: Network }) {
    const [entry, setEntry] = useState({ ip: "", names: "" });
    const [error, setError] = useState<string | null>(null);
    const [busy, setBusy] = useState(false);

    const change = async (action: "add-dns-host" | "remove-dns-host", ip: string, hostnames: string[]) => {
        setBusy(true);
        setError(null);
        try {
            await runNetworkAction(uri, network.id, action, { ip, hostnames });
            if (action === "add-dns-host")
                setEntry({ ip: "", names: "" });
        } catch (ex) {
            setError(ex instanceof Error ? ex.message : String(ex));
        } finally {
            setBusy(false);
        }
    };
    const names = entry.names.split(/[\s,]+/).filter(Boolean);

    return <>
        <Title headingLevel="h3" size="md">{_("DNS hosts")}</Title>
        {error && <Alert variant="danger" isInline title={_("The change failed")} data-test="dns-host-error">{error}</Alert>}
        <Table variant="compact" aria-label={_("DNS hosts")} data-test="dns-hosts">
            <Thead><Tr><Th>{_("IP address")}</Th><Th>{_("Host names")}</Th><Th screenReaderText={_("Actions")} /></Tr></Thead>
            <Tbody>
                {network.dnsHosts.map(h => (
                    <Tr key={h.ip} data-dns-host={h.ip}>
                        <Td>{h.ip}</Td><Td>{h.hostnames.join(", ")}</Td>
                        <Td isActionCell>
                            <Button variant="link" isDanger size="sm" isDisabled={busy}
                                    aria-label={cockpit.format(_("Remove DNS host $0"), h.ip)}
                                    onClick={() => void change("remove-dns-host", h.ip, h.hostnames)}>{_("Remove")}</Button>
                        </Td>
                    </Tr>))}
                <Tr>
                    <Td><TextInput aria-label={_("DNS host IP address")} value={entry.ip} id={`dns-ip-${network.name}`}
                                   onChange={(_ev, v) => setEntry({ ...entry, ip: v })} /></Td>
                    <Td><TextInput aria-label={_("DNS host names")} value={entry.names} id={`dns-names-${network.name}`}
                                   placeholder={_("Names, separated by spaces")}
                                   onChange={(_ev, v) => setEntry({ ...entry, names: v })} /></Td>
                    <Td isActionCell>
                        <Button variant="secondary" size="sm" aria-label={_("Add DNS host")}
                                isDisabled={busy || !entry.ip || names.length === 0}
                                onClick={() => void change("add-dns-host", entry.ip, names)}>{_("Add")}</Button>
                    </Td>
                </Tr>
            </Tbody>
        </Table>
    </>;
}
