// The list view: every VM of every connection, filterable and sortable, live.
// It subscribes to the connections and to the visible keys only (sorted by a usage column: recomputed at most
// once per tick); each row subscribes to its own VM and usage, the host summary to the hosts.

import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { EmptyState, EmptyStateActions, EmptyStateBody, EmptyStateFooter } from "@patternfly/react-core/dist/esm/components/EmptyState/index.js";
import { PageSection } from "@patternfly/react-core/dist/esm/components/Page/index.js";
import { Title } from "@patternfly/react-core/dist/esm/components/Title/index.js";
import { SearchIcon } from "@patternfly/react-icons/dist/esm/icons/search-icon.js";
import { useCallback, useEffect } from "react";

import { prefetchWhenIdle } from "../lazy-views.ts";
import { markOnce } from "../marks.ts";
import { useConnections, useConnectionsLoaded, useListSelection, useVmCount } from "../store/hooks.ts";
import { setListView, useListView } from "../store/list-view.ts";
import { usageStore } from "../store/usage-store.ts";
import { type Vm, isSettled } from "../types.ts";

import { ConnectionAlerts, LoadingState, NoVmsState, isFailing } from "./connection-status.tsx";
import { HostSummary } from "./host-summary.tsx";
import { HostsPanel } from "./hosts-panel.tsx";
import { ListToolbar } from "./list-toolbar.tsx";
import { type SortSpec, type StateFilter, isUsageColumn, visibleKeys } from "./list-order.ts";
import { Notices } from "./notices.tsx";
import { ResourceCards } from "./resource-cards.tsx";
import { VmTable } from "./vm-table.tsx";

const _ = cockpit.gettext;

export function VmList() {
    const { text, state: stateFilter, sort, host } = useListView();
    const setText = (value: string) => setListView({ text: value });
    const setStateFilter = (value: StateFilter) => setListView({ state: value });
    const setSort = (value: SortSpec) => setListView({ sort: value });
    const setHost = (value: string) => setListView({ host: value });

    const connections = useConnections();
    const connectionsLoaded = useConnectionsLoaded();
    const total = useVmCount();
    // The host filter applies while its connection is listed (a removed host's filter means nothing).
    const hostShown = connections.length > 1 && connections.some(c => c.uri === host) ? host : "";
    const select = useCallback(
        (vms: readonly Vm[]) => visibleKeys(hostShown ? vms.filter(vm => vm.uri === hostShown) : vms, text, stateFilter,
                                            sort, key => usageStore.get(key)?.usage),
        [text, stateFilter, sort, hostShown]);
    const several = connections.length > 1;
    const keys = useListSelection(select, isUsageColumn(sort.column));

    const loaded = connectionsLoaded && connections.every(isSettled);
    const allFailing = connections.length > 0 && connections.every(isFailing);
    const hasRows = keys.length > 0;
    useEffect(() => {
        if (hasRows)
            markOnce("virt:rows"); // the first rows are in the DOM
        if (loaded) {
            markOnce("virt:loaded");
            prefetchWhenIdle(); // the VM page, the create dialog …: ready before the first click
        }
    }, [hasRows, loaded]);

    let body;
    if (total > 0) {
        body = keys.length > 0
            ? <VmTable keys={keys} sort={sort} onSort={setSort} showHost={several} />
            : (
                <EmptyState titleText={_("No matching virtual machines")} headingLevel="h2" icon={SearchIcon}>
                    <EmptyStateBody>{_("No virtual machine matches the filters.")}</EmptyStateBody>
                    <EmptyStateFooter>
                        <EmptyStateActions>
                            <Button variant="link" onClick={() => setListView({ text: "", state: "all", host: "" })}>
                                {_("Clear all filters")}
                            </Button>
                        </EmptyStateActions>
                    </EmptyStateFooter>
                </EmptyState>
            );
    } else if (!loaded) {
        body = <LoadingState />;
    } else if (!allFailing) {
        body = <NoVmsState />;
    } else {
        body = null; // the connection alerts say it all
    }

    return (
        <>
            <PageSection className="virt-list-header">
                <Title headingLevel="h1" size="2xl">{_("Virtual machines")}</Title>
                <HostSummary total={total} hostStats={!several} />
                <HostsPanel connections={connections} />
                <ResourceCards />
                <ConnectionAlerts connections={connections} />
                <Notices />
                {total > 0 &&
                    <ListToolbar text={text} onText={setText} state={stateFilter} onState={setStateFilter}
                                 host={hostShown} onHost={setHost}
                                 shown={keys.length} total={total} connections={connections} />}
            </PageSection>
            <PageSection isFilled className="virt-list-body" padding={{ default: "noPadding" }}
                         aria-busy={!loaded}>
                <div className="virt-vm-list" data-loaded={loaded ? "true" : "false"}>
                    {body}
                </div>
            </PageSection>
        </>
    );
}
