// The hosts of the list, when it shows more than one connection: each with its state (and why it is down, from the
// helper's reason code), its running and total VMs, its CPU and memory use, and for a host that is down
// Reconnect (the helper tries at once rather than at its next retry), or Log in for a host that asks for a user name
// and password; a saved host can be removed.

import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { Label } from "@patternfly/react-core/dist/esm/components/Label/index.js";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table/dist/esm/components/Table/index.js";
import { useCallback, useState } from "react";

import { reconnectConnection, wantsLogin } from "../client/saved-connections.ts";
import { reasonText } from "../connection-reasons.ts";
import { connectionLabel, remoteHost } from "../connections.ts";
import { showHostLoginDialog } from "../dialogs/host-login.tsx";
import { showRemoveHostDialog } from "../dialogs/remove-host.tsx";
import { formatBytes, formatPercent } from "../format.ts";
import { useHosts, useListSelection } from "../store/hooks.ts";
import type { ConnectionStatus, HostUsage, Vm } from "../types.ts";

const _ = cockpit.gettext;

type LabelColor = "green" | "orange" | "red" | "grey" | "blue";

function stateText(status: ConnectionStatus): { text: string; color: LabelColor } {
    switch (status.state) {
    case "connected": return { text: _("Connected"), color: "green" };
    case "loading":
    case "connecting": return { text: _("Connecting…"), color: "blue" };
    case "reconnecting": return { text: _("Reconnecting…"), color: "orange" };
    case "unreachable": return { text: _("Unreachable"), color: "red" };
    case "access-denied":
        return remoteHost(status.uri) !== null
            ? { text: _("Authentication needed"), color: "orange" }
            : { text: _("No access"), color: "orange" };
    case "failed": return { text: _("Helper stopped"), color: "red" };
    }
    return { text: status.state, color: "grey" };
}

/** A connection the helper retries by itself, which Reconnect makes try now. */
function canReconnect(status: ConnectionStatus): boolean {
    return status.state === "unreachable" || status.state === "access-denied" || status.state === "reconnecting";
}

/** Running and total VMs of each of `uris`, flat ([running0, total0, running1, …]); re-renders on list changes. */
function useCounts(uris: readonly string[]): readonly number[] {
    const key = uris.join(" ");
    const select = useCallback((vms: readonly Vm[]) => {
        const order = key.split(" ");
        const counts = new Array<number>(order.length * 2).fill(0);
        for (const vm of vms) {
            const i = order.indexOf(vm.uri);
            if (i < 0)
                continue;
            counts[i * 2 + 1] = (counts[i * 2 + 1] ?? 0) + 1;
            if (vm.state === "running" || vm.state === "blocked")
                counts[i * 2] = (counts[i * 2] ?? 0) + 1;
        }
        return counts;
    }, [key]);
    return useListSelection(select);
}

function Usage({ host }: { host: HostUsage | undefined }) {
    if (!host)
        return <span className="virt-muted">—</span>;
    return <>{formatPercent(host.cpu)} <span className="virt-muted">{cockpit.format(cockpit.ngettext("of $0 CPU", "of $0 CPUs", host.cpus), host.cpus)}</span></>;
}

function Memory({ host }: { host: HostUsage | undefined }) {
    if (!host)
        return <span className="virt-muted">—</span>;
    return <>{formatBytes(host.memoryUsed)} <span className="virt-muted">{cockpit.format(_("of $0"), formatBytes(host.memoryTotal))}</span></>;
}

function ReconnectButton({ status }: { status: ConnectionStatus }) {
    const [busy, setBusy] = useState(false);
    const label = connectionLabel(status.uri);
    const reconnect = () => {
        setBusy(true);
        // The outcome shows in the state cell (the watch reports it); a failing op changes nothing there.
        reconnectConnection(status.uri)
            .catch((ex: unknown) => console.warn("virt: reconnect", status.uri, ex))
            .finally(() => setBusy(false));
    };
    return (
        <Button variant="secondary" size="sm" onClick={reconnect} isDisabled={busy} isLoading={busy}
                aria-label={cockpit.format(_("Reconnect $0"), label)} className="virt-host-reconnect">
            {_("Reconnect")}
        </Button>
    );
}

export function HostsPanel({ connections }: { connections: readonly ConnectionStatus[] }) {
    const uris = connections.map(c => c.uri);
    const counts = useCounts(uris);
    const hosts = useHosts();
    if (connections.length < 2)
        return null;
    // Columns nobody has numbers for (no connection reports its host yet) would be a row of dashes.
    const usage = hosts.length > 0;

    return (
        <section className="virt-hosts-panel" aria-labelledby="virt-hosts-title">
            <h2 id="virt-hosts-title" className="virt-hosts-title">{_("Hosts")}</h2>
            <Table aria-labelledby="virt-hosts-title" variant="compact" role="table" gridBreakPoint="grid-md"
                   className="virt-hosts-table">
                <Thead>
                    <Tr>
                        <Th modifier="nowrap">{_("Host")}</Th>
                        <Th>{_("State")}</Th>
                        <Th modifier="nowrap">{_("Running VMs")}</Th>
                        {usage && <Th modifier="nowrap">{_("CPU")}</Th>}
                        {usage && <Th modifier="nowrap">{_("Memory")}</Th>}
                        <Th screenReaderText={_("Actions")} />
                    </Tr>
                </Thead>
                <Tbody>
                    {connections.map((status, i) => {
                        const { text, color } = stateText(status);
                        const why = status.state === "connected" ? null : reasonText(status.reason);
                        // Usage shown is the last the connection reported; a host that is down has none now.
                        const host = status.state === "connected" ? hosts.find(h => h.uri === status.uri)?.host : undefined;
                        const label = connectionLabel(status.uri);
                        return (
                            <Tr key={status.uri} className="virt-host-row" data-connection={status.uri}
                                data-connection-state={status.state}
                                {...status.reason ? { "data-reason": status.reason } : {}}>
                                <Td dataLabel={_("Host")}><span title={status.uri}>{label}</span></Td>
                                <Td dataLabel={_("State")} className="virt-host-state">
                                    <Label color={color} isCompact>{text}</Label>
                                    {why && <span className="virt-host-reason">{why}</span>}
                                </Td>
                                <Td dataLabel={_("Running VMs")} className="virt-host-vms">
                                    {cockpit.format(_("$0 of $1"), counts[i * 2] ?? 0, counts[i * 2 + 1] ?? 0)}
                                </Td>
                                {usage && <Td dataLabel={_("CPU")} className="virt-host-cpu"><Usage host={host} /></Td>}
                                {usage &&
                                    <Td dataLabel={_("Memory")} className="virt-host-memory"><Memory host={host} /></Td>}
                                <Td isActionCell className="virt-host-actions">
                                    <div className="virt-host-buttons">
                                    {wantsLogin(status.reason) && status.state !== "connected"
                                        ? <Button variant="secondary" size="sm" className="virt-host-login"
                                                  aria-label={cockpit.format(_("Log in to $0"), label)}
                                                  onClick={() => { void showHostLoginDialog(status.uri) }}>
                                            {_("Log in")}
                                        </Button>
                                        : canReconnect(status) && <ReconnectButton status={status} />}
                                    {remoteHost(status.uri) !== null &&
                                        <Button variant="link" size="sm" isDanger
                                                aria-label={cockpit.format(_("Remove $0"), label)}
                                                className="virt-host-remove"
                                                onClick={() => { void showRemoveHostDialog(status.uri) }}>
                                            {_("Remove")}
                                        </Button>}
                                    </div>
                                </Td>
                            </Tr>
                        );
                    })}
                </Tbody>
            </Table>
        </section>
    );
}
