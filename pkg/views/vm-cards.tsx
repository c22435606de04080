// The cards of the VM page: overview, disks, network interfaces.

import { Card, CardBody, CardHeader, CardTitle } from "@patternfly/react-core/dist/esm/components/Card/index.js";
import { DescriptionList, DescriptionListDescription, DescriptionListGroup, DescriptionListTerm } from "@patternfly/react-core/dist/esm/components/DescriptionList/index.js";
import { Switch } from "@patternfly/react-core/dist/esm/components/Switch/index.js";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table/dist/esm/components/Table/index.js";
import type React from "react";

import { ACTIONS, performAction } from "../actions.ts";
import { EditSettingButton, EditXmlButton } from "../dialogs/settings/open.tsx";
import { connectionLabel } from "../connections.ts";
import { formatBytes, yesNo } from "../format.ts";
import type { Vm } from "../types.ts";

import { NextBoot } from "./pending-changes.tsx";
import { VmStateLabel } from "./state-label.tsx";

const _ = cockpit.gettext;

function Field({ term, children }: { term: string; children: React.ReactNode }) {
    return (
        <DescriptionListGroup>
            <DescriptionListTerm>{term}</DescriptionListTerm>
            <DescriptionListDescription>{children}</DescriptionListDescription>
        </DescriptionListGroup>
    );
}

function firmwareLabel(firmware: string): string {
    switch (firmware) {
    case "bios": return _("BIOS");
    case "efi": return _("UEFI");
    case "": return _("Default");
    default: return firmware;
    }
}

function memoryText(vm: Vm): string {
    if (vm.maxMemory > vm.memory)
        return cockpit.format(_("$0 (maximum $1)"), formatBytes(vm.memory), formatBytes(vm.maxMemory));
    return formatBytes(vm.memory);
}

function AutostartSwitch({ vm, busy }: { vm: Vm; busy: boolean }) {
    const def = vm.autostart ? ACTIONS["autostart-off"] : ACTIONS["autostart-on"];
    return (
        <Switch id="virt-autostart" isChecked={vm.autostart} isDisabled={busy || !vm.persistent}
                label={vm.autostart ? _("Starts when the host boots") : _("Off")}
                aria-label={_("Autostart")}
                onChange={() => { performAction(vm, def).catch((ex: unknown) => console.error("virt: autostart", ex)) }} />
    );
}

export function OverviewCard({ vm, busy }: { vm: Vm; busy: boolean }) {
    return (
        <Card className="virt-card-overview">
            <CardHeader actions={{ actions: <EditXmlButton vm={vm} />, hasNoOffset: true }}>
                <CardTitle component="h2">{_("Overview")}</CardTitle>
            </CardHeader>
            <CardBody>
                <DescriptionList isHorizontal isCompact>
                    <Field term={_("State")}><VmStateLabel state={vm.state} isCompact /></Field>
                    <Field term={_("Connection")}>{connectionLabel(vm.uri)}</Field>
                    <Field term={_("Name")}>{vm.name} <EditSettingButton vm={vm} kind="name" /></Field>
                    <Field term={_("vCPUs")}>
                        {vm.vcpus} <NextBoot vm={vm} field="vcpus" /> <EditSettingButton vm={vm} kind="vcpus" />
                    </Field>
                    <Field term={_("Memory")}>
                        {memoryText(vm)} <NextBoot vm={vm} field="memory" /> <NextBoot vm={vm} field="maxMemory" />
                        {" "}<EditSettingButton vm={vm} kind="memory" />
                    </Field>
                    <Field term={_("Autostart")}>
                        {vm.persistent ? <AutostartSwitch vm={vm} busy={busy} /> : _("Not available for transient VMs")}
                    </Field>
                    <Field term={_("Persistent")}>{yesNo(vm.persistent)}</Field>
                    <Field term={_("Domain type")}>{vm.domainType || "–"}</Field>
                    <Field term={_("Architecture")}>{vm.arch || "–"}</Field>
                    <Field term={_("Machine")}>{vm.machine || "–"}</Field>
                    <Field term={_("Firmware")}>
                        {firmwareLabel(vm.firmware)} {vm.persistent && <EditSettingButton vm={vm} kind="boot" />}
                    </Field>
                    <Field term={_("UUID")}><span className="virt-mono">{vm.id}</span></Field>
                    {vm.description && <Field term={_("Description")}><span className="virt-description">{vm.description}</span></Field>}
                </DescriptionList>
            </CardBody>
        </Card>
    );
}

function deviceLabel(device: string): string {
    switch (device) {
    case "disk": return _("Disk");
    case "cdrom": return _("CD/DVD");
    case "floppy": return _("Floppy");
    case "lun": return _("LUN");
    default: return device;
    }
}

export function DisksCard({ vm }: { vm: Vm }) {
    return (
        <Card className="virt-card-disks">
            <CardTitle component="h2">{_("Disks")}</CardTitle>
            <CardBody>
                {vm.disks.length === 0
                    ? _("No disks")
                    : (
                        <Table aria-label={_("Disks")} variant="compact" role="table">
                            <Thead>
                                <Tr>
                                    <Th modifier="fitContent">{_("Target")}</Th>
                                    <Th modifier="fitContent">{_("Device")}</Th>
                                    <Th modifier="fitContent">{_("Bus")}</Th>
                                    <Th>{_("Source")}</Th>
                                    <Th modifier="fitContent">{_("Format")}</Th>
                                    <Th modifier="fitContent">{_("Access")}</Th>
                                </Tr>
                            </Thead>
                            <Tbody>
                                {vm.disks.map(disk =>
                                    <Tr key={disk.target}>
                                        <Td dataLabel={_("Target")}>{disk.target}</Td>
                                        <Td dataLabel={_("Device")}>{deviceLabel(disk.device)}</Td>
                                        <Td dataLabel={_("Bus")}>{disk.bus ?? "–"}</Td>
                                        <Td dataLabel={_("Source")} className="virt-wrap">
                                            {disk.pool && disk.volume
                                                ? cockpit.format(_("$0 (pool $1)"), disk.volume, disk.pool)
                                                : disk.source ?? _("Empty")}
                                        </Td>
                                        <Td dataLabel={_("Format")}>{disk.format ?? "–"}</Td>
                                        <Td dataLabel={_("Access")}>{disk.readonly ? _("Read-only") : _("Read-write")}</Td>
                                    </Tr>)}
                            </Tbody>
                        </Table>
                    )}
            </CardBody>
        </Card>
    );
}

export function InterfacesCard({ vm }: { vm: Vm }) {
    return (
        <Card className="virt-card-interfaces">
            <CardTitle component="h2">{_("Network interfaces")}</CardTitle>
            <CardBody>
                {vm.interfaces.length === 0
                    ? _("No network interfaces")
                    : (
                        <Table aria-label={_("Network interfaces")} variant="compact" role="table">
                            <Thead>
                                <Tr>
                                    <Th>{_("Type")}</Th>
                                    <Th>{_("Source")}</Th>
                                    <Th>{_("Model")}</Th>
                                    <Th>{_("MAC address")}</Th>
                                </Tr>
                            </Thead>
                            <Tbody>
                                {vm.interfaces.map((nic, i) =>
                                    <Tr key={nic.mac ?? i}>
                                        <Td dataLabel={_("Type")}>{nic.type}</Td>
                                        <Td dataLabel={_("Source")}>{nic.source ?? "–"}</Td>
                                        <Td dataLabel={_("Model")}>{nic.model ?? "–"}</Td>
                                        <Td dataLabel={_("MAC address")} className="virt-mono">{nic.mac ?? "–"}</Td>
                                    </Tr>)}
                            </Tbody>
                        </Table>
                    )}
            </CardBody>
        </Card>
    );
}
