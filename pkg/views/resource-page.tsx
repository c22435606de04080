// The scaffold the storage pools page and the networks page share: breadcrumb, title with the "Create" button,
// the "driver missing" states, the empty state, the table of expandable rows, and under each row its failure
// and its details.

import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { EmptyState, EmptyStateBody } from "@patternfly/react-core/dist/esm/components/EmptyState/index.js";
import { PageSection } from "@patternfly/react-core/dist/esm/components/Page/index.js";
import { Title } from "@patternfly/react-core/dist/esm/components/Title/index.js";
import { Flex, FlexItem } from "@patternfly/react-core/dist/esm/layouts/Flex/index.js";
import { ExpandableRowContent, Table, Td, Thead, Tr } from "@patternfly/react-table/dist/esm/components/Table/index.js";
import { type ReactNode, useState } from "react";

import type { ConnectionResources } from "../client/resources-client.ts";

import { DriverMissing, ResourceBreadcrumb, RowFailure } from "./resource-parts.tsx";

/** Every object of one kind on every connection, by name and then by connection. */
export function resourceRows<T extends { name: string }>(resources: readonly ConnectionResources[],
                                                         pick: (r: ConnectionResources) => Readonly<Record<string, T>>) {
    return resources.flatMap(r => Object.values(pick(r)).map(item => ({ uri: r.uri, item })))
            .sort((a, b) => a.item.name.localeCompare(b.item.name) || a.uri.localeCompare(b.uri));
}

/** Which rows are expanded, by object id. */
export function useExpanded() {
    const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
    const toggle = (id: string) => setExpanded(old => {
        const next = new Set(old);
        if (!next.delete(id))
            next.add(id);
        return next;
    });
    return { expanded, toggle };
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
}

export function ResourcePage(props: ResourcePageProps) {
    const { resources, driver } = props;
    const synced = resources.length > 0 && resources.every(r => r.synced || r.failure);
    const missing = resources.filter(r => r.drivers?.[driver].state === "unavailable");
    const usable = resources.filter(r => r.drivers?.[driver].state === "available");

    return (
        <>
            <ResourceBreadcrumb title={props.title} />
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
                {synced && props.rowCount === 0 && missing.length === 0 &&
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
