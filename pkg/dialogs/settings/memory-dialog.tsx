// Memory: the current size (live through the balloon while the VM runs) and the maximum (next boot).

import { FormGroup } from "@patternfly/react-core/dist/esm/components/Form/index.js";
import { InputGroup, InputGroupItem, InputGroupText } from "@patternfly/react-core/dist/esm/components/InputGroup/index.js";
import { TextInput } from "@patternfly/react-core/dist/esm/components/TextInput/index.js";

import type { SettingsChange, SettingsCheck } from "../../client/settings.ts";
import { formatBytes } from "../../format.ts";
import { FieldMessage, validated } from "../field-message.tsx";

import { type FieldsProps, type Request, wholeNumber } from "./settings-dialog.tsx";

const _ = cockpit.gettext;
const MIB = 1024 * 1024;

export interface MemoryForm {
    memory: string;
    maxMemory: string;
}

export function memoryInit(check: SettingsCheck): MemoryForm {
    const values = check.current.live ?? check.current.saved;
    return { memory: String(Math.round(values.memory / MIB)), maxMemory: String(Math.round(check.current.saved.maxMemory / MIB)) };
}

export function memoryRequest(form: MemoryForm, check: SettingsCheck): Request {
    const change: SettingsChange = {};
    const unreadable: Record<string, string> = {};
    const memory = wholeNumber(form.memory);
    const max = wholeNumber(form.maxMemory);
    // What the dialog opened with counts as unchanged.
    const opened = memoryInit(check);
    if (memory === null)
        unreadable.memory = _("Enter a whole number of MiB.");
    else if (form.memory !== opened.memory)
        change.memory = memory * MIB;
    if (max === null)
        unreadable.maxMemory = _("Enter a whole number of MiB.");
    else if (form.maxMemory !== opened.maxMemory)
        change.maxMemory = max * MIB;
    // Both sizes travel together when either changes, so the helper checks them against each other.
    if (change.memory !== undefined || change.maxMemory !== undefined) {
        if (memory !== null)
            change.memory = memory * MIB;
        if (max !== null)
            change.maxMemory = max * MIB;
    }
    return { change, unreadable };
}

function MiBInput({ id, value, onChange, state }: {
    id: string; value: string; onChange: (v: string) => void; state: "error" | "warning" | "default";
}) {
    return (
        <InputGroup>
            <InputGroupItem isFill>
                <TextInput id={id} value={value} inputMode="numeric" validated={state}
                           onChange={(_ev, v) => onChange(v)} />
            </InputGroupItem>
            <InputGroupItem isPlain><InputGroupText>MiB</InputGroupText></InputGroupItem>
        </InputGroup>
    );
}

export function MemoryFields({ form, setForm, check, errors, warnings }: FieldsProps<MemoryForm>) {
    const { running } = check.current;
    const host = formatBytes(check.limits.hostMemory);
    return (
        <>
            <FormGroup label={_("Memory")} fieldId="virt-settings-memory">
                <MiBInput id="virt-settings-memory" value={form.memory} state={validated("memory", errors, warnings)}
                          onChange={memory => setForm({ ...form, memory })} />
                <FieldMessage id="virt-settings-memory" field="memory" errors={errors} warnings={warnings}
                         hint={running
                             ? cockpit.format(_("Changed at once through the memory balloon, up to $0."), formatBytes(check.current.live?.maxMemory ?? 0))
                             : cockpit.format(_("Up to the maximum memory. The host has $0."), host)} />
            </FormGroup>
            <FormGroup label={_("Maximum memory")} fieldId="virt-settings-max-memory">
                <MiBInput id="virt-settings-max-memory" value={form.maxMemory} state={validated("maxMemory", errors, warnings)}
                          onChange={maxMemory => setForm({ ...form, maxMemory })} />
                <FieldMessage id="virt-settings-max-memory" field="maxMemory" errors={errors} warnings={warnings}
                         hint={running
                             ? cockpit.format(_("Takes effect after the VM shuts down. The host has $0."), host)
                             : cockpit.format(_("The host has $0."), host)} />
            </FormGroup>
        </>
    );
}
