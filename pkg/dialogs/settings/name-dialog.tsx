// Name (rename, when the VM is shut off), title and description.

import { FormGroup } from "@patternfly/react-core/dist/esm/components/Form/index.js";
import { TextArea } from "@patternfly/react-core/dist/esm/components/TextArea/index.js";
import { TextInput } from "@patternfly/react-core/dist/esm/components/TextInput/index.js";

import type { SettingsChange, SettingsCheck } from "../../client/settings.ts";
import { FieldMessage, validated } from "../field-message.tsx";

import { type FieldsProps, type Request } from "./settings-dialog.tsx";

const _ = cockpit.gettext;

export interface NameForm {
    name: string;
    title: string;
    description: string;
}

export function nameInit(check: SettingsCheck): NameForm {
    const values = check.current.saved;
    return { name: check.current.name, title: values.title, description: values.description };
}

export function nameRequest(form: NameForm, check: SettingsCheck): Request {
    const change: SettingsChange = {};
    const opened = nameInit(check);
    if (form.name !== opened.name)
        change.name = form.name;
    if (form.title !== opened.title)
        change.title = form.title;
    if (form.description !== opened.description)
        change.description = form.description;
    return { change, unreadable: {} };
}

export function NameFields({ form, setForm, check, errors, warnings }: FieldsProps<NameForm>) {
    const { running, persistent } = check.current;
    return (
        <>
            <FormGroup label={_("Name")} fieldId="virt-settings-name">
                <TextInput id="virt-settings-name" value={form.name} isDisabled={running || !persistent}
                           validated={validated("name", errors, warnings)}
                           onChange={(_ev, name) => setForm({ ...form, name })} />
                <FieldMessage id="virt-settings-name" field="name" errors={errors} warnings={warnings}
                         hint={running ? _("Shut the VM down to rename it.") : undefined} />
            </FormGroup>
            <FormGroup label={_("Title")} fieldId="virt-settings-title">
                <TextInput id="virt-settings-title" value={form.title} validated={validated("title", errors, warnings)}
                           onChange={(_ev, title) => setForm({ ...form, title })} />
                <FieldMessage id="virt-settings-title" field="title" errors={errors} warnings={warnings} />
            </FormGroup>
            <FormGroup label={_("Description")} fieldId="virt-settings-description">
                <TextArea id="virt-settings-description" value={form.description} resizeOrientation="vertical"
                          validated={validated("description", errors, warnings)}
                          onChange={(_ev, description) => setForm({ ...form, description })} />
                <FieldMessage id="virt-settings-description" field="description" errors={errors} warnings={warnings} />
            </FormGroup>
        </>
    );
}
