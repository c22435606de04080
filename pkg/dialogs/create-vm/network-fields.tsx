// The VM's network: only what this host offers (create-options): its virtual networks, bridges, direct
// (macvtap) attachment to an interface, user-mode networking, or none.

import { FormGroup } from "@patternfly/react-core/dist/esm/components/Form/index.js";
import { FormSelect, FormSelectOption } from "@patternfly/react-core/dist/esm/components/FormSelect/index.js";

import type { CreateOptions } from "../../client/create.ts";

import { FieldMessage, validated } from "./field-message.tsx";
import type { FieldsProps } from "./form.ts";

const _ = cockpit.gettext;

export function networkChoices(options: CreateOptions | null): { value: string; label: string }[] {
    const choices = [];
    for (const n of options?.networks ?? []) {
        choices.push({
            value: `network:${n.name}`,
            label: n.active ? cockpit.format(_("Virtual network $0"), n.name)
                : cockpit.format(_("Virtual network $0 (inactive)"), n.name),
        });
    }
    for (const b of options?.bridges ?? [])
        choices.push({ value: `bridge:${b}`, label: cockpit.format(_("Bridge $0"), b) });
    for (const dev of options?.interfaces ?? [])
        choices.push({ value: `direct:${dev}`, label: cockpit.format(_("Direct to $0 (macvtap)"), dev) });
    choices.push({ value: "user", label: _("User-mode networking") });
    choices.push({ value: "none", label: _("No network") });
    return choices;
}

/**
 * The default: an active network ("default" first), else the first bridge, else user-mode. An inactive network is
 * offered but never chosen for the user: a VM on it cannot start (the field warns when one is picked).
 */
export function defaultNetwork(options: CreateOptions | null): string {
    const active = (options?.networks ?? []).filter(n => n.active);
    const preferred = active.find(n => n.name === "default") ?? active[0];
    if (preferred)
        return `network:${preferred.name}`;
    const bridge = options?.bridges[0];
    return bridge ? `bridge:${bridge}` : "user";
}

interface Props extends FieldsProps {
    options: CreateOptions | null;
}

export function NetworkFields({ form, update, errors, warnings, options }: Props) {
    const choices = networkChoices(options);
    return (
        <FormGroup label={_("Network")} fieldId="create-network">
            <FormSelect id="create-network" value={form.network} validated={validated("network", errors, warnings)}
                        onChange={(_ev, network) => update({ network })}>
                {choices.map(c => <FormSelectOption key={c.value} value={c.value} label={c.label} />)}
            </FormSelect>
            <FieldMessage field="network" errors={errors} warnings={warnings} />
        </FormGroup>
    );
}
