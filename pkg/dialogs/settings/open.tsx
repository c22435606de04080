// Opening the settings dialogs, and the small "Edit" button the Overview card puts beside a setting.

import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { PencilAltIcon } from "@patternfly/react-icons/dist/esm/icons/pencil-alt-icon.js";

import { type SettingsResult, checkSettings } from "../../client/settings.ts";
import type { Vm } from "../../types.ts";
import { vmPath } from "../../views/routes.ts";
import { openDialog } from "../dialog-host.tsx";

import { BootFields, bootInit, bootRequest } from "./boot-dialog.tsx";
import { CpuFields, cpuInit, cpuRequest } from "./cpu-dialog.tsx";
import { ExtrasFields, extrasInit, extrasRequest } from "./extras-dialog.tsx";
import { MemoryFields, memoryInit, memoryRequest } from "./memory-dialog.tsx";
import { NameFields, nameInit, nameRequest } from "./name-dialog.tsx";
import { PinsFields, pinsInit, pinsRequest } from "./pins-dialog.tsx";
import { SettingsDialog } from "./settings-dialog.tsx";
import { VcpusFields, vcpusInit, vcpusRequest } from "./vcpus-dialog.tsx";
import { showXmlDialog } from "./xml-dialog.tsx";

const _ = cockpit.gettext;

export type SettingKind = "memory" | "vcpus" | "name" | "boot" | "cpu" | "pins" | "extras";

export function showSettingsDialog(vm: Vm, kind: SettingKind): Promise<SettingsResult | null> {
    return openDialog<SettingsResult | null>(done => {
        switch (kind) {
        case "memory":
            return <SettingsDialog vm={vm} id="virt-settings-memory-dialog" title={cockpit.format(_("Memory of $0"), vm.name)}
                                   init={memoryInit} request={memoryRequest} Fields={MemoryFields} onDone={done} />;
        case "vcpus":
            return <SettingsDialog vm={vm} id="virt-settings-vcpus-dialog" title={cockpit.format(_("vCPUs of $0"), vm.name)}
                                   init={vcpusInit} request={vcpusRequest} Fields={VcpusFields} onDone={done} />;
        case "name":
            return <SettingsDialog vm={vm} id="virt-settings-name-dialog" title={cockpit.format(_("Name and description of $0"), vm.name)}
                                   init={nameInit} request={nameRequest} Fields={NameFields} onDone={done} />;
        case "boot":
            return <SettingsDialog vm={vm} id="virt-settings-boot-dialog" title={cockpit.format(_("Boot options of $0"), vm.name)}
                                   init={bootInit} request={bootRequest} Fields={BootFields} onDone={done} />;
        case "cpu":
            return <SettingsDialog vm={vm} id="virt-settings-cpu-dialog" title={cockpit.format(_("CPU model of $0"), vm.name)}
                                   init={cpuInit} request={cpuRequest} Fields={CpuFields} onDone={done} />;
        case "pins":
            return <SettingsDialog vm={vm} id="virt-settings-pins-dialog" title={cockpit.format(_("CPU pinning of $0"), vm.name)}
                                   init={pinsInit} request={pinsRequest} Fields={PinsFields} onDone={done} />;
        case "extras":
            return <SettingsDialog vm={vm} id="virt-settings-extras-dialog" title={cockpit.format(_("TPM, watchdog and vsock of $0"), vm.name)}
                                   init={extrasInit} request={extrasRequest} Fields={ExtrasFields} onDone={done} />;
        }
    });
}

const LABELS: Record<SettingKind, string> = {
    memory: _("Edit memory"),
    vcpus: _("Edit vCPUs"),
    name: _("Edit name and description"),
    boot: _("Edit firmware, boot order and boot menu"),
    cpu: _("Edit CPU model"),
    pins: _("Edit CPU pinning"),
    extras: _("Edit TPM, watchdog and vsock"),
};

/** An icon button that opens the dialog of one setting; after a rename, the page follows the new name. */
export function EditSettingButton({ vm, kind }: { vm: Vm; kind: SettingKind }) {
    const open = async () => {
        const result = await showSettingsDialog(vm, kind);
        if (result?.saved.includes("name")) {
            // The VM page is addressed by name: follow it (the watch brings the renamed VM).
            const answer = await checkSettings(vm.uri, vm.id);
            cockpit.location.go(vmPath({ uri: vm.uri, name: answer.current.name }));
        }
    };
    return (
        <Button variant="plain" size="sm" className="virt-settings-edit" id={`virt-settings-edit-${kind}`}
                aria-label={LABELS[kind]} title={LABELS[kind]} icon={<PencilAltIcon />}
                onClick={() => { open().catch((ex: unknown) => console.error("virt: settings", ex)) }} />
    );
}

/** "Edit XML" ("View XML" for a transient VM) for the Overview card's header. */
export function EditXmlButton({ vm }: { vm: Vm }) {
    return (
        <Button variant="secondary" size="sm" id="virt-settings-edit-xml"
                onClick={() => { showXmlDialog(vm).catch((ex: unknown) => console.error("virt: xml", ex)) }}>
            {vm.persistent ? _("Edit XML") : _("View XML")}
        </Button>
    );
}
