// Memory (MiB or GiB) and vCPUs, with what the host has.

import { FormGroup } from "@patternfly/react-core/dist/esm/components/Form/index.js";
import { FormSelect, FormSelectOption } from "@patternfly/react-core/dist/esm/components/FormSelect/index.js";
import { InputGroup, InputGroupItem } from "@patternfly/react-core/dist/esm/components/InputGroup/index.js";
import { TextInput } from "@patternfly/react-core/dist/esm/components/TextInput/index.js";

import type { CreateOptions } from "../../client/create.ts";
import { formatBytes } from "../../format.ts";

import { FieldMessage, validated } from "./field-message.tsx";
import { type FieldsProps, type MemoryUnit, memoryMib } from "./form.ts";

const _ = cockpit.gettext;

/** The memory text in the other unit: 2048 MiB ↔ 2 GiB, keeping up to two decimals. */
export function convertMemory(text: string, from: MemoryUnit, to: MemoryUnit): string {
    const mib = memoryMib({ memory: text, memoryUnit: from });
    if (from === to || Number.isNaN(mib))
        return text;
    return to === "GiB" ? String(Math.round(mib / 1024 * 100) / 100) : String(mib);
}

interface Props extends FieldsProps {
    options: CreateOptions | null;
}

export function ResourcesFields({ form, update, errors, warnings, options }: Props) {
    const host = options?.host ?? null;
    return (
        <>
            <FormGroup label={_("Memory")} fieldId="create-memory" isRequired>
                <InputGroup>
                    <InputGroupItem isFill>
                        <TextInput id="create-memory" value={form.memory} inputMode="decimal"
                                   validated={validated("memory_mib", errors, warnings)}
                                   onChange={(_ev, memory) => update({ memory })} />
                    </InputGroupItem>
                    <InputGroupItem>
                        <FormSelect id="create-memory-unit" value={form.memoryUnit} aria-label={_("Memory unit")}
                                    onChange={(_ev, unit) => update({
                                        memory: convertMemory(form.memory, form.memoryUnit, unit as MemoryUnit),
                                        memoryUnit: unit as MemoryUnit,
                                    })}>
                            <FormSelectOption value="MiB" label={_("MiB")} />
                            <FormSelectOption value="GiB" label={_("GiB")} />
                        </FormSelect>
                    </InputGroupItem>
                </InputGroup>
                <FieldMessage field="memory_mib" errors={errors} warnings={warnings}
                              {...host ? { hint: cockpit.format(_("$0 available on host"), formatBytes(host.memory_mib * 1024 * 1024)) } : {}} />
            </FormGroup>
            <FormGroup label={_("vCPUs")} fieldId="create-vcpus" isRequired>
                <TextInput id="create-vcpus" value={form.vcpus} inputMode="numeric"
                           validated={validated("vcpus", errors, warnings)}
                           onChange={(_ev, vcpus) => update({ vcpus })} />
                <FieldMessage field="vcpus" errors={errors} warnings={warnings}
                              {...host ? { hint: cockpit.format(cockpit.ngettext("The host has $0 CPU", "The host has $0 CPUs", host.cpus), host.cpus) } : {}} />
            </FormGroup>
        </>
    );
}
