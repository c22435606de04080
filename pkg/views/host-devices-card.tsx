// The VM page's Host devices card: the USB, PCI, SCSI and mediated devices the VM has, with vendor and product
// from the host's device list (op `host-devices`), their address and which configuration they are in; add, remove.

import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { ActionsColumn } from "@patternfly/react-table/dist/esm/components/Table/ActionsColumn.js";
import { Td, Th, Tr } from "@patternfly/react-table/dist/esm/components/Table/index.js";

import type { NodeDevice } from "../client/host-devices.ts";
import { deviceTypeLabel, showAddHostdev, showRemoveHostdev } from "../dialogs/devices/hostdev-dialogs.tsx";
import type { Vm, VmHostDevice } from "../types.ts";

import { DeviceCard, PresenceLabel } from "./device-parts.tsx";
import { hostdevRows } from "./device-rows.ts";
import { useHostDevices } from "./use-host-devices.ts";

const _ = cockpit.gettext;

function hostDevice(devices: Readonly<Record<string, NodeDevice>>, hostdev: VmHostDevice): NodeDevice | undefined {
    if (!hostdev.key)
        return undefined;
    const at = hostdev.key.startsWith("usb-at:") ? hostdev.key.slice("usb-at:".length) : null;
    return Object.values(devices).find(d => d.key === hostdev.key || (at !== null && d.type === "usb_device" && d.address === at));
}

export function HostDevicesCard({ vm }: { vm: Vm }) {
    const rows = hostdevRows(vm);
    const host = useHostDevices(vm.uri);
    const add = <Button variant="secondary" id="virt-add-hostdev-button" onClick={() => { void showAddHostdev(vm) }}>{_("Add host device")}</Button>;
    return (
        <DeviceCard className="virt-card-hostdevs" title={_("Host devices")} action={add} empty={_("No host devices")}
                    rowCount={rows.length}
                    header={
                        <Tr>
                            <Th>{_("Type")}</Th>
                            <Th>{_("Vendor")}</Th>
                            <Th>{_("Product")}</Th>
                            <Th>{_("Address")}</Th>
                            <Th screenReaderText={_("Actions")} />
                        </Tr>
                    }>
            {rows.map(row => {
                const hostdev = row.device;
                const device = hostDevice(host.devices, hostdev);
                const product = device?.product ?? device?.productId ?? hostdev.productId ?? "–";
                const label = device?.product ?? hostdev.address ?? hostdev.key ?? hostdev.type;
                return (
                    <Tr key={row.key} data-key={hostdev.key ?? ""} data-presence={row.presence}>
                        <Td dataLabel={_("Type")}>{deviceTypeLabel(hostdev.type)} <PresenceLabel presence={row.presence} /></Td>
                        <Td dataLabel={_("Vendor")}>{device?.vendor ?? device?.vendorId ?? hostdev.vendorId ?? "–"}</Td>
                        <Td dataLabel={_("Product")}>{product}</Td>
                        <Td dataLabel={_("Address")} className="virt-mono">{hostdev.address ?? device?.address ?? "–"}</Td>
                        <Td isActionCell>
                            {hostdev.key &&
                                <ActionsColumn items={[{ title: _("Remove…"), onClick: () => { void showRemoveHostdev(vm, hostdev, label) } }]} />}
                        </Td>
                    </Tr>
                );
            })}
        </DeviceCard>
    );
}
