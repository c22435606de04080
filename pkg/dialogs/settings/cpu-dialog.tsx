// CPU mode and model (next boot): host-passthrough, host-model, or a named model of the host's domain capabilities
// for the VM's own virt type; models the host cannot run are listed disabled with the features it lacks.

import { FormGroup } from "@patternfly/react-core/dist/esm/components/Form/index.js";
import { FormSelect, FormSelectOption } from "@patternfly/react-core/dist/esm/components/FormSelect/index.js";
import { Radio } from "@patternfly/react-core/dist/esm/components/Radio/index.js";

import type { CpuMode, SettingsChange, SettingsCheck } from "../../client/settings.ts";
import { FieldMessage } from "../field-message.tsx";

import { type FieldsProps, type Request } from "./settings-dialog.tsx";

const _ = cockpit.gettext;

export interface CpuForm {
    mode: CpuMode;
    model: string;
}

export function cpuInit(check: SettingsCheck): CpuForm {
    const { cpu } = check.current.saved;
    return { mode: cpu.mode, model: cpu.model ?? "" };
}

export function cpuRequest(form: CpuForm, check: SettingsCheck): Request {
    const change: SettingsChange = {};
    const opened = cpuInit(check);
    if (form.mode !== opened.mode || (form.mode === "custom" && form.model !== opened.model))
        change.cpu = form.mode === "custom" && form.model ? { mode: "custom", model: form.model } : { mode: form.mode };
    return { change, unreadable: {} };
}

export function CpuFields({ form, setForm, check, errors, warnings }: FieldsProps<CpuForm>) {
    const { running } = check.current;
    const host = check.limits.cpus;
    const type = check.limits.domainType;
    const models = host?.models ?? [];
    const usable = models.filter(m => m.usable);
    const unusable = models.filter(m => !m.usable);
    const pick = (mode: CpuMode) => setForm({ ...form, mode, model: mode === "custom" ? (form.model || usable[0]?.name || "") : form.model });
    return (
        <>
            <FormGroup label={_("CPU mode")} fieldId="virt-settings-cpu-host-passthrough" role="radiogroup" isStack>
                <Radio id="virt-settings-cpu-host-passthrough" name="virt-settings-cpu-mode" label={_("Host passthrough")}
                       isChecked={form.mode === "host-passthrough"}
                       isDisabled={host?.hostPassthrough === false && form.mode !== "host-passthrough"}
                       description={host?.hostPassthrough === false
                           ? cockpit.format(_("Not available for $0 VMs: passing the host's CPU through takes KVM."), type)
                           : _("The guest sees the host's CPU exactly; it cannot migrate to a different host.")}
                       onChange={() => pick("host-passthrough")} />
                <Radio id="virt-settings-cpu-host-model" name="virt-settings-cpu-mode" label={_("Host model")}
                       isChecked={form.mode === "host-model"}
                       isDisabled={host?.hostModel === false && form.mode !== "host-model"}
                       description={host?.hostModel === false
                           ? cockpit.format(_("Not available for $0 VMs."), type)
                           : host?.hostModelName
                               ? cockpit.format(_("The named model closest to the host's CPU: $0."), host.hostModelName)
                               : _("The named model closest to the host's CPU.")}
                       onChange={() => pick("host-model")} />
                <Radio id="virt-settings-cpu-custom" name="virt-settings-cpu-mode" label={_("Named model")}
                       isChecked={form.mode === "custom"} onChange={() => pick("custom")} />
            </FormGroup>
            {form.mode === "custom" &&
                <FormGroup label={_("Model")} fieldId="virt-settings-cpu-model">
                    <FormSelect id="virt-settings-cpu-model" value={form.model}
                                onChange={(_ev, model) => setForm({ ...form, model })}>
                        {form.model === "" && <FormSelectOption value="" label={_("The hypervisor's default")} isDisabled />}
                        {form.model !== "" && !models.some(m => m.name === form.model) &&
                            <FormSelectOption value={form.model} label={form.model} />}
                        {usable.map(m => <FormSelectOption key={m.name} value={m.name} label={m.name} />)}
                        {unusable.map(m =>
                            <FormSelectOption key={m.name} value={m.name} isDisabled
                                              label={m.blockers.length > 0
                                                  ? cockpit.format(_("$0 (the host lacks $1)"), m.name, m.blockers.join(", "))
                                                  : cockpit.format(_("$0 (the host cannot run it)"), m.name)} />)}
                    </FormSelect>
                </FormGroup>}
            <FieldMessage id="virt-settings-cpu" field="cpu" errors={errors} warnings={warnings}
                     hint={running
                         ? _("Takes effect after the VM shuts down.")
                         : cockpit.format(_("The models this host can run for $0 VMs."), type)} />
        </>
    );
}
