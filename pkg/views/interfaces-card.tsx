// The VM page's Network interfaces card: every interface with the guest's IP addresses (op `device`
// nic-addresses, every 15 s while the VM runs and the page shows), link state, TAP device and which configuration
// it is in; add, plug / unplug the cable, remove.

import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { Label } from "@patternfly/react-core/dist/esm/components/Label/index.js";
import { ActionsColumn } from "@patternfly/react-table/dist/esm/components/Table/ActionsColumn.js";
import type { IAction } from "@patternfly/react-table/dist/esm/components/Table/TableTypes.js";
import { Td, Th, Tr } from "@patternfly/react-table/dist/esm/components/Table/index.js";
import { useEffect, useState } from "react";

import { type GuestAddress, runDevice } from "../client/device.ts";
import { showAddNic, showEditNic, showRemoveNic } from "../dialogs/devices/nic-dialogs.tsx";
import { type Vm, type VmInterface, isActive } from "../types.ts";

import { DeviceCard, PresenceLabel, quickChange } from "./device-parts.tsx";
import { type Row, interfaceRows } from "./device-rows.ts";

const _ = cockpit.gettext;
const ADDRESS_INTERVAL_MS = 15000;

function typeLabel(type: string): string {
    switch (type) {
    case "network": return _("Virtual network");
    case "bridge": return _("Bridge");
    case "user": return _("User-mode");
    case "direct": return _("Direct");
    default: return type;
    }
}

/** The guest's addresses by MAC while the VM runs; {} otherwise or while nothing answers. */
function useGuestAddresses(vm: Vm): Record<string, GuestAddress[]> {
    const running = isActive(vm.state);
    const [addresses, setAddresses] = useState<Record<string, GuestAddress[]>>({});
    const { uri, id } = vm;
    useEffect(() => {
        if (!running)
            return;
        let live = true;
        const fetch = () => {
            if (cockpit.hidden)
                return;
            runDevice(uri, id, "nic-addresses").then(r => { if (live) setAddresses(r.addresses ?? {}) },
                                                     () => { /* not running any more, or no source knows */ });
        };
        fetch();
        const timer = window.setInterval(fetch, ADDRESS_INTERVAL_MS);
        return () => { live = false; window.clearInterval(timer) };
    }, [uri, id, running]);
    return running ? addresses : {};
}

function rowActions(vm: Vm, row: Row<VmInterface>): IAction[] {
    const nic = row.device;
    const actions: IAction[] = [];
    if (nic.mac && row.presence !== "next-boot") {
        const mac = nic.mac;
        const up = !nic.linkUp;
        actions.push({
            title: up ? _("Plug in cable") : _("Unplug cable"),
            onClick: () => quickChange(vm, "nic-link", { mac, up },
                                       cockpit.format(up ? _("Cable of $0 plugged in") : _("Cable of $0 unplugged"), mac),
                                       cockpit.format(_("Could not change the link of $0"), mac)),
        });
    }
    if (nic.mac && vm.persistent && row.presence !== "now")
        actions.push({ title: _("Edit…"), description: _("Source, model, MAC address"), onClick: () => { void showEditNic(vm, row.next ?? nic) } });
    if (nic.mac) {
        if (actions.length > 0)
            actions.push({ isSeparator: true });
        actions.push({ title: _("Remove…"), onClick: () => { void showRemoveNic(vm, nic) } });
    }
    return actions;
}

export function InterfacesCard({ vm }: { vm: Vm }) {
    const rows = interfaceRows(vm);
    const addresses = useGuestAddresses(vm);
    const add = <Button variant="secondary" id="virt-add-nic-button" onClick={() => { void showAddNic(vm) }}>{_("Add network interface")}</Button>;
    return (
        <DeviceCard className="virt-card-interfaces" title={_("Network interfaces")} action={add} empty={_("No network interfaces")}
                    rowCount={rows.length}
                    header={
                        <Tr>
                            <Th>{_("Type")}</Th>
                            <Th>{_("Source")}</Th>
                            <Th>{_("Model")}</Th>
                            <Th>{_("MAC address")}</Th>
                            <Th>{_("IP addresses")}</Th>
                            <Th modifier="fitContent">{_("Link")}</Th>
                            <Th screenReaderText={_("Actions")} />
                        </Tr>
                    }>
            {rows.map(row => {
                const nic = row.device;
                const ips = nic.mac ? addresses[nic.mac.toLowerCase()] ?? [] : [];
                return (
                    <Tr key={row.key} data-mac={nic.mac ?? ""} data-presence={row.presence}>
                        <Td dataLabel={_("Type")}>
                            {typeLabel(nic.type)} <PresenceLabel presence={row.presence} />
                            {nic.tap && <div className="virt-secondary">{nic.tap}</div>}
                        </Td>
                        <Td dataLabel={_("Source")}>
                            {nic.source ?? (nic.backend ? nic.backend : "–")}
                            {nic.vlan !== undefined &&
                                <div className="virt-secondary">{cockpit.format(_("VLAN $0"), nic.vlan)}</div>}
                        </Td>
                        <Td dataLabel={_("Model")}>{nic.model ?? "–"}</Td>
                        <Td dataLabel={_("MAC address")} className="virt-mono">{nic.mac ?? "–"}</Td>
                        <Td dataLabel={_("IP addresses")} className="virt-nic-addresses">
                            {ips.length === 0
                                ? "–"
                                : ips.map(a => <div key={a.address} className="virt-mono">{a.address}/{a.prefix}</div>)}
                        </Td>
                        <Td dataLabel={_("Link")} className="virt-nic-link">
                            {nic.linkUp
                                ? <Label isCompact color="green">{_("Up")}</Label>
                                : <Label isCompact color="grey">{_("Down")}</Label>}
                        </Td>
                        <Td isActionCell><ActionsColumn items={rowActions(vm, row)} /></Td>
                    </Tr>
                );
            })}
        </DeviceCard>
    );
}
