// The console on its own page (deep link ["console", <connection>, <name>, <kind>]): what the pop-out window
// shows. Only the console and the VM's name and state: no usage or history channels for a window that is only
// a screen.

import { EmptyState, EmptyStateBody } from "@patternfly/react-core/dist/esm/components/EmptyState/index.js";
import { PageSection } from "@patternfly/react-core/dist/esm/components/Page/index.js";
import { Title } from "@patternfly/react-core/dist/esm/components/Title/index.js";
import { SearchIcon } from "@patternfly/react-icons/dist/esm/icons/search-icon.js";
import { useEffect } from "react";

import { connectionLabel } from "../connections.ts";
import { useConnections, useVm, useVmKeyByName } from "../store/hooks.ts";
import { isSettled } from "../types.ts";
import { LoadingState } from "../views/connection-status.tsx";
import { VmStateLabel } from "../views/state-label.tsx";

import type { ConsoleKind } from "./console-channel.ts";
import { ConsoleView } from "./console-view.tsx";

const _ = cockpit.gettext;

function ConsoleOfVm({ vmKey, kind }: { vmKey: string; kind: ConsoleKind }) {
    const vm = useVm(vmKey);
    if (!vm)
        return null;
    return (
        <div className="virt-console-window-frame" data-vm-name={vm.name}>
            <div className="virt-console-window-header">
                <Title headingLevel="h1" size="lg">
                    {cockpit.format(kind === "graphics" ? _("$0: display") : _("$0: serial console"), vm.name)}
                </Title>
                <VmStateLabel state={vm.state} isCompact />
            </div>
            <ConsoleView vm={vm} kind={kind} variant="window" />
        </div>
    );
}

export function ConsolePage({ uri, name, kind }: { uri: string; name: string; kind: ConsoleKind }) {
    const key = useVmKeyByName(uri, name);
    const connection = useConnections().find(c => c.uri === uri);

    useEffect(() => {
        document.title = cockpit.format(kind === "graphics" ? _("$0: display") : _("$0: serial console"), name);
        return () => { document.title = _("Virtual machines") };
    }, [name, kind]);

    if (key)
        return <ConsoleOfVm vmKey={key} kind={kind} />;
    if (connection && !isSettled(connection))
        return <PageSection isFilled><LoadingState /></PageSection>;
    return (
        <PageSection isFilled>
            <EmptyState titleText={_("VM not found")} headingLevel="h1" icon={SearchIcon}>
                <EmptyStateBody>
                    {cockpit.format(_("There is no virtual machine \"$0\" on $1."), name, connectionLabel(uri))}
                </EmptyStateBody>
            </EmptyState>
        </PageSection>
    );
}
