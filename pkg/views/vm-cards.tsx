// The VM page's overview card (disks: disks-card.tsx; network interfaces: interfaces-card.tsx).

import { Card, CardBody, CardHeader, CardTitle } from "@patternfly/react-core/dist/esm/components/Card/index.js";
import { DescriptionList, DescriptionListDescription, DescriptionListGroup, DescriptionListTerm } from "@patternfly/react-core/dist/esm/components/DescriptionList/index.js";
import { Switch } from "@patternfly/react-core/dist/esm/components/Switch/index.js";
import type React from "react";

import { ACTIONS, performAction } from "../actions.ts";
import { EditSettingButton, EditXmlButton } from "../dialogs/settings/open.tsx";
import { connectionLabel } from "../connections.ts";
import { formatBytes, yesNo } from "../format.ts";
import type { Vm } from "../types.ts";

import { guestDevicesText, pinsText } from "./guest-device-text.ts";
import { NextBoot, topologyText } from "./pending-changes.tsx";
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

function cpuText(vm: Vm): string {
    switch (vm.cpuMode) {
    case "host-passthrough": return _("Host passthrough");
    case "host-model": return _("Host model");
    case "custom": return vm.cpuModel ?? _("Hypervisor default");
    default: return vm.cpuMode || "–";
    }
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
                <DescriptionList isHorizontal isCompact columnModifier={{ lg: "2Col" }}>
                    <Field term={_("State")}><VmStateLabel state={vm.state} isCompact /></Field>
                    <Field term={_("Connection")}>{connectionLabel(vm.uri)}</Field>
                    <Field term={_("Name")}>{vm.name} <EditSettingButton vm={vm} kind="name" /></Field>
                    <Field term={_("vCPUs")}>
                        {vm.vcpus} {vm.topology && <span className="virt-topology">({topologyText(vm.topology)})</span>}
                        {" "}<NextBoot vm={vm} field="vcpus" /> <NextBoot vm={vm} field="topology" />
                        {" "}<EditSettingButton vm={vm} kind="vcpus" />
                    </Field>
                    <Field term={_("CPU")}>
                        <span id="virt-cpu-model">{cpuText(vm)}</span> {vm.persistent && <EditSettingButton vm={vm} kind="cpu" />}
                    </Field>
                    <Field term={_("CPU pinning")}>
                        <span id="virt-cpu-pins">{pinsText(vm)}</span> <EditSettingButton vm={vm} kind="pins" />
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
                        {firmwareLabel(vm.firmware)} <NextBoot vm={vm} field="firmware" />
                        {" "}{vm.persistent && <EditSettingButton vm={vm} kind="boot" />}
                    </Field>
                    <Field term={_("TPM, watchdog, vsock")}>
                        <span id="virt-guest-devices">{guestDevicesText(vm)}</span>
                        {" "}<NextBoot vm={vm} field="tpm" /> <NextBoot vm={vm} field="watchdog" /> <NextBoot vm={vm} field="vsock" />
                        {" "}{vm.persistent && <EditSettingButton vm={vm} kind="extras" />}
                    </Field>
                    <Field term={_("UUID")}><span className="virt-mono">{vm.id}</span></Field>
                    {vm.description && <Field term={_("Description")}><span className="virt-description">{vm.description}</span></Field>}
                </DescriptionList>
            </CardBody>
        </Card>
    );
}
