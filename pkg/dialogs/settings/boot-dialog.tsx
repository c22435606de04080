// Boot: firmware (BIOS or UEFI, when the VM is shut off), the boot order and the boot menu (next boot).

import { FormGroup } from "@patternfly/react-core/dist/esm/components/Form/index.js";
import { Radio } from "@patternfly/react-core/dist/esm/components/Radio/index.js";
import { Switch } from "@patternfly/react-core/dist/esm/components/Switch/index.js";

import type { SettingsChange, SettingsCheck } from "../../client/settings.ts";
import { FieldMessage } from "../field-message.tsx";

import { type BootEntry, BootOrderList, bootEntries, bootKeys } from "./boot-order-list.tsx";

import { type FieldsProps, type Request } from "./settings-dialog.tsx";

const _ = cockpit.gettext;

export interface BootForm {
    firmware: "bios" | "efi";
    bootMenu: boolean;
    secureBoot: boolean;
    order: BootEntry[];
}

export function bootInit(check: SettingsCheck): BootForm {
    const { saved } = check.current;
    return {
        firmware: saved.firmware, bootMenu: saved.bootMenu, secureBoot: saved.secureBoot,
        order: bootEntries(saved.bootDevices, saved.bootOrder),
    };
}

export function bootRequest(form: BootForm, check: SettingsCheck): Request {
    const change: SettingsChange = {};
    const opened = bootInit(check);
    if (form.firmware !== opened.firmware)
        change.firmware = form.firmware;
    if (form.bootMenu !== opened.bootMenu)
        change.bootMenu = form.bootMenu;
    const secureBoot = form.firmware === "efi" && form.secureBoot;
    if (secureBoot !== opened.secureBoot || (secureBoot && change.firmware))
        change.secureBoot = secureBoot;
    const keys = bootKeys(form.order);
    if (JSON.stringify(keys) !== JSON.stringify(check.current.saved.bootOrder))
        change.bootOrder = keys;
    return { change, unreadable: {} };
}

export function BootFields({ form, setForm, check, errors, warnings }: FieldsProps<BootForm>) {
    const { running } = check.current;
    const noEfi = check.limits.efi === false;
    return (
        <>
            <FormGroup label={_("Firmware")} fieldId="virt-settings-firmware-bios" role="radiogroup" isStack>
                <Radio id="virt-settings-firmware-bios" name="virt-settings-firmware" label={_("BIOS")}
                       isChecked={form.firmware === "bios"} isDisabled={running}
                       onChange={() => setForm({ ...form, firmware: "bios" })} />
                <Radio id="virt-settings-firmware-efi" name="virt-settings-firmware" label={_("UEFI")}
                       isChecked={form.firmware === "efi"} isDisabled={running || (noEfi && form.firmware !== "efi")}
                       description={noEfi ? _("libvirt offers no UEFI firmware for this machine type.") : undefined}
                       onChange={() => setForm({ ...form, firmware: "efi" })} />
                <FieldMessage id="virt-settings-firmware" field="firmware" errors={errors} warnings={warnings}
                         hint={running
                             ? _("Shut the VM down to change its firmware.")
                             : _("The guest's operating system must be able to boot with it: an OS installed for BIOS does not boot with UEFI, and the other way round.")} />
            </FormGroup>
            {form.firmware === "efi" &&
                <FormGroup label={_("Secure boot")} fieldId="virt-settings-secure-boot">
                    <Switch id="virt-settings-secure-boot" isChecked={form.secureBoot}
                            label={_("Boot only signed operating systems")}
                            isDisabled={running || (check.limits.secureBoot === false && !form.secureBoot)}
                            onChange={(_ev, on) => setForm({ ...form, secureBoot: on })} />
                    <FieldMessage id="virt-settings-secure-boot" field="secureBoot" errors={errors} warnings={warnings}
                             hint={check.limits.secureBoot === false
                                 ? cockpit.format(_("libvirt offers no secure boot firmware for this machine type ($0); q35 has it."), check.limits.machine)
                                 : running ? _("Shut the VM down to change it.") : undefined} />
                </FormGroup>}
            <FormGroup label={_("Boot order")} fieldId="virt-settings-boot-order" role="group">
                <BootOrderList devices={check.current.saved.bootDevices} entries={form.order}
                               onChange={order => setForm({ ...form, order })} />
                <FieldMessage id="virt-settings-boot-order" field="bootOrder" errors={errors} warnings={warnings}
                         hint={running
                             ? _("The VM tries the checked devices from the top. Takes effect after it shuts down.")
                             : _("The VM tries the checked devices from the top.")} />
            </FormGroup>
            <FormGroup label={_("Boot menu")} fieldId="virt-settings-boot-menu">
                <Switch id="virt-settings-boot-menu" isChecked={form.bootMenu}
                        label={_("Offer a boot menu at start")}
                        onChange={(_ev, bootMenu) => setForm({ ...form, bootMenu })} />
                <FieldMessage id="virt-settings-boot-menu" field="bootMenu" errors={errors} warnings={warnings}
                         hint={running ? _("Takes effect after the VM shuts down.") : undefined} />
            </FormGroup>
        </>
    );
}
