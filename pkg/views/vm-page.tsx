// The VM page (deep link ["vm", <connection>, <name>]): header with state and actions, then the overview,
// disks and network interfaces. A VM that is not (or no longer) there says so, with a way back.

import { Breadcrumb, BreadcrumbItem } from "@patternfly/react-core/dist/esm/components/Breadcrumb/index.js";
import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { EmptyState, EmptyStateActions, EmptyStateBody, EmptyStateFooter } from "@patternfly/react-core/dist/esm/components/EmptyState/index.js";
import { PageBreadcrumb, PageSection } from "@patternfly/react-core/dist/esm/components/Page/index.js";
import { Title } from "@patternfly/react-core/dist/esm/components/Title/index.js";
import { Flex, FlexItem } from "@patternfly/react-core/dist/esm/layouts/Flex/index.js";
import { Stack, StackItem } from "@patternfly/react-core/dist/esm/layouts/Stack/index.js";
import { SearchIcon } from "@patternfly/react-icons/dist/esm/icons/search-icon.js";
import { useEffect } from "react";

import { ConsoleCard } from "../console/console-card.tsx";
import { connectionLabel } from "../connections.ts";
import { useActionState, useConnections, useVm, useVmKeyByName } from "../store/hooks.ts";
import { isSettled } from "../types.ts";

import { ConnectionAlerts, ConnectionBadges, LoadingState } from "./connection-status.tsx";
import { FailureAlert } from "./failure-alert.tsx";
import { Notices } from "./notices.tsx";
import { PendingChanges } from "./pending-changes.tsx";
import { VmStateLabel } from "./state-label.tsx";
import { UsageCard } from "./usage-card.tsx";
import { VmNotResponding } from "./usage-cells.tsx";
import { VmActions } from "./vm-actions.tsx";
import { DisksCard } from "./disks-card.tsx";
import { InterfacesCard } from "./interfaces-card.tsx";
import { HostDevicesCard } from "./host-devices-card.tsx";
import { FilesystemsCard } from "./filesystems-card.tsx";
import { OverviewCard } from "./vm-cards.tsx";
import { SnapshotsCard } from "./snapshots-card.tsx";

const _ = cockpit.gettext;

function BackBreadcrumb({ name }: { name: string }) {
    return (
        <PageBreadcrumb>
            <Breadcrumb>
                <BreadcrumbItem to="#/">{_("Virtual machines")}</BreadcrumbItem>
                <BreadcrumbItem isActive>{name}</BreadcrumbItem>
            </Breadcrumb>
        </PageBreadcrumb>
    );
}

function VmNotFound({ uri, name }: { uri: string; name: string }) {
    return (
        <EmptyState titleText={_("VM not found")} headingLevel="h1" icon={SearchIcon} className="virt-vm-not-found">
            <EmptyStateBody>
                {cockpit.format(_("There is no virtual machine \"$0\" on $1. It may have been deleted or renamed."),
                                name, connectionLabel(uri))}
            </EmptyStateBody>
            <EmptyStateFooter>
                <EmptyStateActions>
                    <Button variant="primary" component="a" href="#/">{_("Go to the list of virtual machines")}</Button>
                </EmptyStateActions>
            </EmptyStateFooter>
        </EmptyState>
    );
}

function VmDetails({ vmKey }: { vmKey: string }) {
    const vm = useVm(vmKey);
    const { pending, failure } = useActionState(vmKey);
    const connections = useConnections().filter(c => c.uri === vm?.uri);
    if (!vm)
        return null;

    return (
        <>
            <PageSection className="virt-vm-header">
                <Stack hasGutter>
                    <StackItem>
                        <Flex alignItems={{ default: "alignItemsCenter" }} flexWrap={{ default: "wrap" }}>
                            <FlexItem>
                                <Title headingLevel="h1" size="2xl" className="virt-vm-title">{vm.name}</Title>
                            </FlexItem>
                            <FlexItem><VmStateLabel state={vm.state} /> <VmNotResponding vmKey={vmKey} /></FlexItem>
                            <FlexItem><ConnectionBadges connections={connections} /></FlexItem>
                            <FlexItem align={{ default: "alignRight" }}>
                                <VmActions vm={vm} pending={pending} onDelete={() => cockpit.location.go([])} />
                            </FlexItem>
                        </Flex>
                    </StackItem>
                    {vm.title && <StackItem className="virt-vm-subtitle">{vm.title}</StackItem>}
                    {failure &&
                        <StackItem>
                            <FailureAlert vmKey={vmKey} vmName={vm.name} failure={failure} />
                        </StackItem>}
                    <StackItem><PendingChanges vm={vm} /></StackItem>
                    <StackItem><Notices /></StackItem>
                </Stack>
            </PageSection>
            <PageSection isFilled>
                <UsageCard vm={vm} />
                {/* Full width each: the device tables have many columns. */}
                <Stack hasGutter className="virt-vm-cards">
                    <OverviewCard vm={vm} busy={pending !== null} />
                    <DisksCard vm={vm} />
                    <InterfacesCard vm={vm} />
                    <SnapshotsCard vm={vm} />
                    <HostDevicesCard vm={vm} />
                    <FilesystemsCard vm={vm} />
                </Stack>
                <ConsoleCard vm={vm} />
            </PageSection>
        </>
    );
}

export function VmPage({ uri, name }: { uri: string; name: string }) {
    const key = useVmKeyByName(uri, name);
    const connections = useConnections();
    const connection = connections.find(c => c.uri === uri);

    useEffect(() => {
        document.title = name;
        return () => { document.title = _("Virtual machines") };
    }, [name]);

    let body;
    if (key)
        body = <VmDetails vmKey={key} />;
    else if (connection && !isSettled(connection))
        body = <PageSection isFilled><LoadingState /></PageSection>;
    else
        body = (
            <PageSection isFilled>
                <ConnectionAlerts connections={connection ? [connection] : []} />
                <VmNotFound uri={uri} name={name} />
            </PageSection>
        );

    return (
        <>
            <BackBreadcrumb name={name} />
            {body}
        </>
    );
}
