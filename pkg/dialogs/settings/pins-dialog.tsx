// CPU pinning: which host CPUs each vCPU and the emulator threads may run on, as cpusets ("0-3,6"; empty: any),
// with the host's CPUs by socket and core beside them. A running VM changes at once (online vCPUs) and for the
// next boot; the helper checks the numbers.

import { FormGroup } from "@patternfly/react-core/dist/esm/components/Form/index.js";
import { TextInput } from "@patternfly/react-core/dist/esm/components/TextInput/index.js";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table/dist/esm/components/Table/index.js";

import type { SettingsChange, SettingsCheck } from "../../client/settings.ts";
import { FieldMessage, validated } from "../field-message.tsx";

import { type FieldsProps, type Request } from "./settings-dialog.tsx";

const _ = cockpit.gettext;

export interface PinsForm {
    vcpus: string[];
    emulator: string;
}

/** [0, 1, 2, 5] → "0-2,5". */
export function cpusetText(cpus: number[] | null | undefined): string {
    const sorted = [...new Set(cpus ?? [])].sort((a, b) => a - b);
    const parts: string[] = [];
    for (let i = 0; i < sorted.length;) {
        let j = i;
        while (j + 1 < sorted.length && sorted[j + 1] === (sorted[j] ?? 0) + 1)
            j++;
        parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
        i = j + 1;
    }
    return parts.join(",");
}

/** "0-2,5" → [0, 1, 2, 5]; "" → [] (any); null when it is not a cpuset. */
export function cpusetList(text: string): number[] | null {
    const out: number[] = [];
    for (const part of text.split(",").map(p => p.trim()).filter(p => p !== "")) {
        const m = /^(\d{1,4})(?:-(\d{1,4}))?$/.exec(part);
        if (!m)
            return null;
        const from = Number(m[1]);
        const to = m[2] === undefined ? from : Number(m[2]);
        if (to < from)
            return null;
        for (let n = from; n <= to; n++)
            out.push(n);
    }
    return out;
}

function values(check: SettingsCheck) {
    return check.current.live ?? check.current.saved;
}

export function pinsInit(check: SettingsCheck): PinsForm {
    const v = values(check);
    const max = Math.max(check.current.saved.maxVcpus, v.maxVcpus);
    return {
        vcpus: Array.from({ length: max }, (_x, i) => cpusetText(v.vcpuPins[String(i)])),
        emulator: cpusetText(v.emulatorPin),
    };
}

export function pinsRequest(form: PinsForm, check: SettingsCheck): Request {
    const change: SettingsChange = {};
    const unreadable: Record<string, string> = {};
    const opened = pinsInit(check);
    const pins: Record<string, number[]> = {};
    form.vcpus.forEach((text, i) => {
        const list = cpusetList(text);
        if (list === null)
            unreadable.vcpuPins = cockpit.format(_("vCPU $0: enter host CPU numbers like 0-3,6."), i);
        else if (text !== opened.vcpus[i])
            pins[String(i)] = list;
    });
    if (Object.keys(pins).length > 0)
        change.vcpuPins = pins;
    const emulator = cpusetList(form.emulator);
    if (emulator === null)
        unreadable.emulatorPin = _("Enter host CPU numbers like 0-3,6.");
    else if (form.emulator !== opened.emulator)
        change.emulatorPin = emulator;
    return { change, unreadable };
}

export function PinsFields({ form, setForm, check, errors, warnings }: FieldsProps<PinsForm>) {
    const { running } = check.current;
    const topology = check.limits.hostTopology;
    const hint = running
        ? _("Empty: any host CPU. Online vCPUs change at once, all of them at the next boot.")
        : _("Empty: any host CPU.");
    return (
        <>
            <FormGroup label={cockpit.format(_("Host CPUs: $0"), check.limits.hostCpus)} fieldId="virt-settings-host-cpus">
                {topology.length > 0 &&
                    <Table variant="compact" id="virt-settings-host-cpus" aria-label={_("Host CPUs")}>
                        <Thead><Tr><Th>{_("CPU")}</Th><Th>{_("NUMA node")}</Th><Th>{_("Socket")}</Th><Th>{_("Core")}</Th><Th>{_("Siblings")}</Th></Tr></Thead>
                        <Tbody>
                            {topology.map(cpu =>
                                <Tr key={cpu.id}>
                                    <Td>{cpu.id}</Td><Td>{cpu.node}</Td><Td>{cpu.socket ?? "–"}</Td><Td>{cpu.core ?? "–"}</Td>
                                    <Td>{cpu.siblings && cpu.siblings !== String(cpu.id) ? cpu.siblings : "–"}</Td>
                                </Tr>)}
                        </Tbody>
                    </Table>}
            </FormGroup>
            <FormGroup label={_("vCPUs run on")} fieldId="virt-settings-pin-0" role="group">
                {form.vcpus.map((text, i) =>
                    <FormGroup key={i} label={cockpit.format(_("vCPU $0"), i)} fieldId={`virt-settings-pin-${i}`} isInline>
                        <TextInput id={`virt-settings-pin-${i}`} value={text} placeholder={_("any")}
                                   validated={validated("vcpuPins", errors, warnings)}
                                   onChange={(_ev, v) => setForm({ ...form, vcpus: form.vcpus.map((t, j) => j === i ? v : t) })} />
                    </FormGroup>)}
                <FieldMessage id="virt-settings-vcpu-pins" field="vcpuPins" errors={errors} warnings={warnings} hint={hint} />
            </FormGroup>
            <FormGroup label={_("Emulator runs on")} fieldId="virt-settings-emulator-pin">
                <TextInput id="virt-settings-emulator-pin" value={form.emulator} placeholder={_("any")}
                           validated={validated("emulatorPin", errors, warnings)}
                           onChange={(_ev, emulator) => setForm({ ...form, emulator })} />
                <FieldMessage id="virt-settings-emulator-pin" field="emulatorPin" errors={errors} warnings={warnings} hint={hint} />
            </FormGroup>
        </>
    );
}
