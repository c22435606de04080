// cloud-init settings of a cloud image: a user (login, password, SSH keys), the root password and the host name.

import { FormGroup } from "@patternfly/react-core/dist/esm/components/Form/index.js";
import { TextArea } from "@patternfly/react-core/dist/esm/components/TextArea/index.js";
import { TextInput } from "@patternfly/react-core/dist/esm/components/TextInput/index.js";

import { FieldMessage, validated } from "./field-message.tsx";
import type { FieldsProps } from "./form.ts";

const _ = cockpit.gettext;

export function CloudFields({ form, update, errors, warnings }: FieldsProps) {
    return (
        <>
            <FormGroup label={_("User login")} fieldId="create-user-login">
                <TextInput id="create-user-login" value={form.login} autoComplete="off" spellCheck={false}
                           validated={validated("source.user.login", errors, warnings)}
                           onChange={(_ev, login) => update({ login })} />
                <FieldMessage field="source.user.login" errors={errors} warnings={warnings} />
            </FormGroup>
            <FormGroup label={_("User password")} fieldId="create-user-password">
                <TextInput id="create-user-password" type="password" value={form.password} autoComplete="new-password"
                           validated={validated("source.user.password", errors, warnings)}
                           onChange={(_ev, password) => update({ password })} />
                <FieldMessage field="source.user.password" errors={errors} warnings={warnings} />
            </FormGroup>
            <FormGroup label={_("SSH public keys")} fieldId="create-ssh-keys">
                <TextArea id="create-ssh-keys" value={form.sshKeys} resizeOrientation="vertical" rows={2}
                          placeholder={_("One key per line: ssh-ed25519 AAAA… user@host")} spellCheck={false}
                          validated={validated("source.user.ssh_keys", errors, warnings)}
                          onChange={(_ev, sshKeys) => update({ sshKeys })} />
                <FieldMessage field="source.user.ssh_keys" errors={errors} warnings={warnings} />
            </FormGroup>
            <FormGroup label={_("Root password")} fieldId="create-root-password">
                <TextInput id="create-root-password" type="password" value={form.rootPassword} autoComplete="new-password"
                           validated={validated("source.root_password", errors, warnings)}
                           onChange={(_ev, rootPassword) => update({ rootPassword })} />
                <FieldMessage field="source.root_password" errors={errors} warnings={warnings} />
            </FormGroup>
            <FormGroup label={_("Host name")} fieldId="create-hostname">
                <TextInput id="create-hostname" value={form.hostname} autoComplete="off" spellCheck={false}
                           placeholder={form.name.replace(/[^a-zA-Z0-9-]/g, "-")}
                           validated={validated("source.hostname", errors, warnings)}
                           onChange={(_ev, hostname) => update({ hostname })} />
                <FieldMessage field="source.hostname" errors={errors} warnings={warnings} />
            </FormGroup>
        </>
    );
}
