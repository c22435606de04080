// What a user without access to system VMs can do about it, for them: turn on Administrative access (sudoers),
// or ask to be added to the libvirt group. libvirt's own refusal stays behind a details toggle.

import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { Content } from "@patternfly/react-core/dist/esm/components/Content/index.js";
import { ExpandableSection } from "@patternfly/react-core/dist/esm/components/ExpandableSection/index.js";
import { useState } from "react";

import { showAdminAccessDialog } from "../dialogs/admin-access.tsx";
import { useAccessRemedy, usePrivilege } from "../store/access.ts";
import type { ConnectionStatus } from "../types.ts";

const _ = cockpit.gettext;

function Details({ message }: { message: string | null }) {
    const [expanded, setExpanded] = useState(false);
    if (!message)
        return null;
    return (
        <ExpandableSection toggleText={expanded ? _("Hide details") : _("Show details")} isExpanded={expanded}
                           onToggle={(_ev, on) => setExpanded(on)} className="virt-access-details">
            <Content component="p" className="virt-libvirt-message">{message}</Content>
        </ExpandableSection>
    );
}

export function SystemAccessHelp({ status }: { status: ConnectionStatus }) {
    const privilege = usePrivilege();
    const remedy = useAccessRemedy();
    let body;
    let reason: string;
    if (privilege.admin === true) {
        reason = "admin-failed";
        body = <Content component="p">{_("Administrative access is on, but the system's libvirt could not be reached with it.")}</Content>;
    } else if (remedy?.remedy === "admin-access") {
        reason = "admin-access";
        body = (
            <>
                <Content component="p">
                    {_("Turn on administrative access to see and manage the virtual machines of the system.")}
                </Content>
                <Button variant="primary" className="virt-admin-access-button"
                        onClick={() => { void showAdminAccessDialog() }}>
                    {_("Turn on administrative access")}
                </Button>
            </>
        );
    } else {
        reason = "libvirt-group";
        body = (
            <Content component="p">
                {_("Your user may not manage system virtual machines. An administrator can allow it by adding you to the \"libvirt\" group with")}{" "}
                <code>{`adduser ${remedy?.user ?? "USER"} libvirt`}</code>
                {_(", after which you log in again.")}
            </Content>
        );
    }
    return (
        <div className="virt-system-access" data-remedy={reason}>
            {body}
            <Details message={status.message} />
        </div>
    );
}
