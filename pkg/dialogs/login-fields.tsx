// A user name and password for a host that asks for them through libvirt (SASL). The page only collects them: the
// helper checks them and holds them in its memory for that host; nothing is stored in the page.

import { FormGroup } from "@patternfly/react-core/dist/esm/components/Form/index.js";
import { TextInput } from "@patternfly/react-core/dist/esm/components/TextInput/index.js";

import type { Login } from "../client/saved-connections.ts";

const _ = cockpit.gettext;

export function LoginFields({ login, onChange, isDisabled, idPrefix }: {
    login: Login;
    onChange: (login: Login) => void;
    isDisabled: boolean;
    idPrefix: string;
}) {
    return (
        <>
            <FormGroup label={_("User name")} fieldId={`${idPrefix}-username`} isRequired>
                <TextInput id={`${idPrefix}-username`} value={login.username} isRequired autoFocus
                           autoComplete="username" isDisabled={isDisabled}
                           onChange={(_ev, username) => onChange({ ...login, username })} />
            </FormGroup>
            <FormGroup label={_("Password")} fieldId={`${idPrefix}-password`} isRequired>
                <TextInput id={`${idPrefix}-password`} type="password" value={login.password} isRequired
                           autoComplete="current-password" isDisabled={isDisabled}
                           onChange={(_ev, password) => onChange({ ...login, password })} />
            </FormGroup>
        </>
    );
}

/** Both fields filled (the helper checks the rest). */
export function loginComplete(login: Login): boolean {
    return login.username.trim() !== "" && login.password !== "";
}
