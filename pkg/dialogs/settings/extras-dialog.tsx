// TPM, watchdog and vsock (next boot): an emulated TPM (swtpm) on or off, a watchdog's model and action, and a
// vsock with an automatic or given CID. The helper checks what libvirt offers and which values are allowed.

import { FormGroup } from "@patternfly/react-core/dist/esm/components/Form/index.js";
import { FormSelect, FormSelectOption } from "@patternfly/react-core/dist/esm/components/FormSelect/index.js";
import { Switch } from "@patternfly/react-core/dist/esm/components/Switch/index.js";
import { TextInput } from "@patternfly/react-core/dist/esm/components/TextInput/index.js";

import type { SettingsChange, SettingsCheck } from "../../client/settings.ts";
import { FieldMessage, validated } from "../field-message.tsx";

import { type FieldsProps, type Request, wholeNumber } from "./settings-dialog.tsx";

const _ = cockpit.gettext;

const MODELS = ["i6300esb", "itco", "ib700", "diag288"];
const ACTIONS: Record<string, string> = {
    reset: _("Reset the VM"), shutdown: _("Shut down gracefully"), poweroff: _("Power off"), pause: _("Pause"),
    none: _("Do nothing"), dump: _("Dump its memory"), "inject-nmi": _("Inject an NMI"),
};

export interface ExtrasForm {
    tpm: boolean;
    /** "" for none */
    watchdogModel: string;
    watchdogAction: string;
    vsock: boolean;
    /** "" for automatic */
    cid: string;
}

export function extrasInit(check: SettingsCheck): ExtrasForm {
    const { tpm, watchdog, vsock } = check.current.saved;
    return {
        tpm,
        watchdogModel: watchdog?.model ?? "",
        watchdogAction: watchdog?.action ?? "reset",
        vsock: vsock !== null,
        cid: vsock?.cid === null || vsock?.cid === undefined ? "" : String(vsock.cid),
    };
}

export function extrasRequest(form: ExtrasForm, check: SettingsCheck): Request {
    const change: SettingsChange = {};
    const unreadable: Record<string, string> = {};
    const opened = extrasInit(check);
    if (form.tpm !== opened.tpm)
        change.tpm = form.tpm;
    if (form.watchdogModel !== opened.watchdogModel || (form.watchdogModel && form.watchdogAction !== opened.watchdogAction))
        change.watchdog = form.watchdogModel ? { model: form.watchdogModel, action: form.watchdogAction } : null;
    if (form.vsock !== opened.vsock || (form.vsock && form.cid !== opened.cid)) {
        if (!form.vsock) {
            change.vsock = null;
        } else if (form.cid.trim() === "") {
            change.vsock = { cid: null };
        } else {
            const cid = wholeNumber(form.cid);
            if (cid === null)
                unreadable.vsock = _("Enter a whole number, or leave it empty for an automatic CID.");
            else
                change.vsock = { cid };
        }
    }
    return { change, unreadable };
}

export function ExtrasFields({ form, setForm, check, errors, warnings }: FieldsProps<ExtrasForm>) {
    const later = check.current.running ? " " + _("Takes effect after the VM shuts down.") : "";
    return (
        <>
            <FormGroup label={_("TPM")} fieldId="virt-settings-tpm">
                <Switch id="virt-settings-tpm" isChecked={form.tpm} label={_("Emulated TPM 2.0 (swtpm)")}
                        isDisabled={check.limits.tpm === false && !form.tpm}
                        onChange={(_ev, tpm) => setForm({ ...form, tpm })} />
                <FieldMessage id="virt-settings-tpm" field="tpm" errors={errors} warnings={warnings}
                         hint={(check.limits.tpm === false
                             ? _("libvirt offers no emulated TPM for this VM (is swtpm installed?).")
                             : _("Its state is kept on the host beside the VM.")) + later} />
            </FormGroup>
            <FormGroup label={_("Watchdog")} fieldId="virt-settings-watchdog-model">
                <FormSelect id="virt-settings-watchdog-model" value={form.watchdogModel} aria-label={_("Watchdog model")}
                            onChange={(_ev, watchdogModel) => setForm({ ...form, watchdogModel })}>
                    <FormSelectOption value="" label={_("None")} />
                    {MODELS.map(m => <FormSelectOption key={m} value={m} label={m} />)}
                </FormSelect>
                {form.watchdogModel &&
                    <FormSelect id="virt-settings-watchdog-action" value={form.watchdogAction} aria-label={_("Watchdog action")}
                                className="virt-settings-watchdog-action"
                                onChange={(_ev, watchdogAction) => setForm({ ...form, watchdogAction })}>
                        {Object.entries(ACTIONS).map(([value, label]) => <FormSelectOption key={value} value={value} label={label} />)}
                    </FormSelect>}
                <FieldMessage id="virt-settings-watchdog" field="watchdog" errors={errors} warnings={warnings}
                         hint={(form.watchdogModel ? _("What happens when the guest stops resetting the watchdog.") : "") + later || undefined} />
            </FormGroup>
            <FormGroup label={_("vsock")} fieldId="virt-settings-vsock">
                <Switch id="virt-settings-vsock" isChecked={form.vsock} label={_("A socket between host and guest")}
                        onChange={(_ev, vsock) => setForm({ ...form, vsock })} />
                {form.vsock &&
                    <TextInput id="virt-settings-vsock-cid" value={form.cid} placeholder={_("automatic")} inputMode="numeric"
                               aria-label={_("CID")} validated={validated("vsock", errors, warnings)}
                               onChange={(_ev, cid) => setForm({ ...form, cid })} />}
                <FieldMessage id="virt-settings-vsock" field="vsock" errors={errors} warnings={warnings}
                         hint={form.vsock ? _("The guest's address (CID); empty: libvirt picks a free one at start.") + later : undefined} />
            </FormGroup>
        </>
    );
}
