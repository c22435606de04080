// Virtualization (KVM, or software emulation where KVM cannot run guests, as on nested hosts without vmx/svm)
// and firmware. Open by itself when KVM is not usable, so the reason is seen, and while a field in it is wrong.

import { ExpandableSection } from "@patternfly/react-core/dist/esm/components/ExpandableSection/index.js";
import { FormGroup } from "@patternfly/react-core/dist/esm/components/Form/index.js";
import { FormSelect, FormSelectOption } from "@patternfly/react-core/dist/esm/components/FormSelect/index.js";
import { useState } from "react";

import type { CreateOptions } from "../../client/create.ts";

import { FieldMessage, validated } from "./field-message.tsx";
import type { CreateForm, FieldsProps } from "./form.ts";

const _ = cockpit.gettext;

interface Props extends FieldsProps {
    options: CreateOptions | null;
}

export function AdvancedFields({ form, update, errors, warnings, options }: Props) {
    const kvmUnusable = options !== null && !options.kvm.usable;
    const [expanded, setExpanded] = useState(kvmUnusable);
    const efi = options?.firmware.efi ?? true;

    return (
        <ExpandableSection toggleText={_("Advanced")} isExpanded={expanded || Boolean(errors.virt_type ?? errors.firmware)} onToggle={(_ev, open) => setExpanded(open)}
                           className="virt-create-advanced">
            <FormGroup label={_("Virtualization")} fieldId="create-virt-type">
                <FormSelect id="create-virt-type" value={form.virtType} validated={validated("virt_type", errors, warnings)}
                            onChange={(_ev, value) => update({ virtType: value as CreateForm["virtType"] })}>
                    <FormSelectOption value="kvm" label={_("KVM (hardware virtualization)")} />
                    <FormSelectOption value="qemu" label={_("Software emulation (TCG, slow)")} />
                </FormSelect>
                <FieldMessage field="virt_type" errors={errors} warnings={warnings} />
            </FormGroup>
            <FormGroup label={_("Firmware")} fieldId="create-firmware">
                <FormSelect id="create-firmware" value={form.firmware} validated={validated("firmware", errors, warnings)}
                            onChange={(_ev, value) => update({ firmware: value as CreateForm["firmware"] })}>
                    <FormSelectOption value="auto" label={_("Automatic (as the OS needs)")} />
                    <FormSelectOption value="bios" label={_("BIOS")} />
                    <FormSelectOption value="efi" label={efi ? _("UEFI") : _("UEFI (not installed on this host)")}
                                      isDisabled={!efi} />
                </FormSelect>
                <FieldMessage field="firmware" errors={errors} warnings={warnings} />
            </FormGroup>
        </ExpandableSection>
    );
}
