// The scaffold the storage pools page and the networks page share: breadcrumb, title with the "Create" button,
// the "driver missing" states, the empty state, the table of expandable rows, and under each row its failure
// and its details; a deep link's one object alone, or its "not found" state.

import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import {
    EmptyState, EmptyStateActions, EmptyStateBody, EmptyStateFooter,
} from "@patternfly/react-core/dist/esm/components/EmptyState/index.js";
import { PageSection } from "@patternfly/react-core/dist/esm/components/Page/index.js";
import { Title } from "@patternfly/react-core/dist/esm/components/Title/index.js";
import { Flex, FlexItem } from "@patternfly/react-core/dist/esm/layouts/Flex/index.js";
import { ExpandableRowContent, Table, Td, Thead, Tr } from "@patternfly/react-table/dist/esm/components/Table/index.js";
import { SearchIcon } from "@patternfly/react-icons/dist/esm/icons/search-icon.js";
import { type ReactNode, useState } from "react";

import type { ConnectionResources } from "../client/resources-client.ts";
import { connectionLabel } from "../connections.ts";

import { DriverMissing, ResourceBreadcrumb, RowFailure } from "./resource-parts.tsx";
import type { ResourceFocus } from "./routes.ts";

/** Every object of one kind on every connection, by name and then by connection; with a deep link's focus, only
 * the object it names (none when there is no such object). */
export function resourceRows<T extends { name: string }>(resources: readonly ConnectionResources[],
                                                         pick: (r: ConnectionResources) => Readonly<Record<string, T>>,
                                                         focus: ResourceFocus | null = null) {
    return resources.flatMap(r => Object.values(pick(r)).map(item => ({ uri: r.uri, item })))
            .filter(({ uri, item }) => !focus || (uri === focus.uri && item.name === focus.name))
            .sort((a, b) => a.item.name.localeCompare(b.item.name) || a.uri.localeCompare(b.uri));
}

/** Which rows are expanded, by object id: all of them to begin with when `openFirst` (a deep link's one row). */
export function useExpanded(openFirst = false) {
    // the ids toggled away from the initial state
    const [toggled, setToggled] = useState<ReadonlySet<string>>(new Set());
    const toggle = (id: string) => setToggled(old => {
        const next = new Set(old);
        if (!next.delete(id))
            next.add(id);
        return next;
    });
    const isOpen = (id: string) => openFirst !== toggled.has(id);
    return { isOpen, toggle };
}

/** Names longer than this are cut in the "not found" message: a link may carry anything. */
const SHOWN_NAME_MAX = 100;

function shownName(name: string): string {
    return name.length > SHOWN_NAME_MAX ? name.slice(0, SHOWN_NAME_MAX) + "…" : name;
}

/** A deep link naming an object that is not there (or a connection the page does not know). */
function NotFound({ title, body, allLabel, page }: { title: string; body: string; allLabel: string; page: string }) {
    return (
        <EmptyState titleText={title} headingLevel="h2" icon={SearchIcon} className="virt-resource-not-found"
                    data-test="resource-not-found">
            <EmptyStateBody>{body}</EmptyStateBody>
            <EmptyStateFooter>
                <EmptyStateActions>
                    <Button variant="primary" component="a" href={"#/" + page}>{allLabel}</Button>
                </EmptyStateActions>
            </EmptyStateFooter>
        </EmptyState>
    );
}

interface ResourcePageProps {
    resources: readonly ConnectionResources[];
    /** the page's `data-page` */
    page: string;
    title: string;
    driver: "network" | "storage";
    driverMissingTitle: string;
    driverPackage: string;
    createLabel: string;
    /** the connections whose driver is available */
    onCreate: (usable: readonly ConnectionResources[]) => void;
    emptyTitle: string;
    emptyBody: string;
    rowCount: number;
    /** the table's header row */
    header: ReactNode;
    /** the table's bodies, one per object */
    children: ReactNode;
    /** a deep link's object, and what to say when it is not there */
    focus: ResourceFocus | null;
    notFound: { title: string; body: (name: string, connection: string) => string; allLabel: string };
}

export function ResourcePage(props: ResourcePageProps) {
    const { resources, driver } = props;
    const synced = resources.length > 0 && resources.every(r => r.synced || r.failure);
    const missing = resources.filter(r => r.drivers?.[driver].state === "unavailable");
    const usable = resources.filter(r => r.drivers?.[driver].state === "available");
    const { focus, notFound } = props;
    const focusMissing = focus !== null && synced && props.rowCount === 0;

    return (
        <>
            <ResourceBreadcrumb title={props.title} page={props.page} focus={focus?.name ?? null} />
            <PageSection className="virt-resource-page" data-page={props.page} data-loaded={synced ? "true" : "false"}>
                <Flex justifyContent={{ default: "justifyContentSpaceBetween" }}>
                    <FlexItem><Title headingLevel="h1" size="2xl">{props.title}</Title></FlexItem>
                    <FlexItem>
                        <Button variant="primary" isDisabled={usable.length === 0}
                                onClick={() => props.onCreate(usable)}>
                            {props.createLabel}
                        </Button>
                    </FlexItem>
                </Flex>
                {missing.map(r => {
                    const status = r.drivers?.[driver];
                    return status?.state === "unavailable" &&
                        <DriverMissing key={r.uri} title={props.driverMissingTitle}
                                       message={status.message} pkg={props.driverPackage} />;
                })}
                {focusMissing &&
                    <NotFound title={notFound.title} body={notFound.body(shownName(focus.name), connectionLabel(focus.uri))}
                              allLabel={notFound.allLabel} page={props.page} />}
                {!focus && synced && props.rowCount === 0 && missing.length === 0 &&
                    <EmptyState titleText={props.emptyTitle} headingLevel="h2">
                        <EmptyStateBody>{props.emptyBody}</EmptyStateBody>
                    </EmptyState>}
                {props.rowCount > 0 &&
                    <Table aria-label={props.title} variant="compact" className="virt-resource-table">
                        <Thead>{props.header}</Thead>
                        {props.children}
                    </Table>}
            </PageSection>
        </>
    );
}

/** Under an object's row: its last failure (until dismissed) and, when expanded, its details. */
export function RowExtras({ columns, failure, onDismiss, open, children }: {
    columns: number;
    failure: { title: string; message: string } | undefined;
    onDismiss: () => void;
    open: boolean;
    children: ReactNode;
}) {
    return (
        <>
            {failure !== undefined &&
                <Tr className="virt-row-failure-row">
                    <Td colSpan={columns}>
                        <RowFailure failure={failure} onClose={onDismiss} />
                    </Td>
                </Tr>}
            {open &&
                <Tr isExpanded>
                    <Td colSpan={columns}>
                        <ExpandableRowContent>{children}</ExpandableRowContent>
                    </Td>
                </Tr>}
        </>
    );
}
