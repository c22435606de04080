// Parts of the storage pools page and the networks page: the hook on the resource store, the breadcrumb,
// the active/inactive label, the "driver missing" state and the per-row busy/failure state.

import { Alert, AlertActionCloseButton } from "@patternfly/react-core/dist/esm/components/Alert/index.js";
import { Breadcrumb, BreadcrumbItem } from "@patternfly/react-core/dist/esm/components/Breadcrumb/index.js";
import { EmptyState, EmptyStateBody } from "@patternfly/react-core/dist/esm/components/EmptyState/index.js";
import { Label } from "@patternfly/react-core/dist/esm/components/Label/index.js";
import { PageBreadcrumb } from "@patternfly/react-core/dist/esm/components/Page/index.js";
import { ExclamationCircleIcon } from "@patternfly/react-icons/dist/esm/icons/exclamation-circle-icon.js";
import { PlayIcon } from "@patternfly/react-icons/dist/esm/icons/play-icon.js";
import { PowerOffIcon } from "@patternfly/react-icons/dist/esm/icons/power-off-icon.js";
import { useCallback, useRef, useState, useSyncExternalStore } from "react";

import type { ConnectionResources } from "../client/resources-client.ts";
import { resourceStore } from "../store/resource-store.ts";

const _ = cockpit.gettext;

export function useResources(): readonly ConnectionResources[] {
    return useSyncExternalStore(resourceStore.listeners.subscribe, resourceStore.get);
}

/** "Virtual machines › Storage pools", or with a deep link's object "… › Storage pools › default". */
export function ResourceBreadcrumb({ title, page, focus }: { title: string; page: string; focus: string | null }) {
    return (
        <PageBreadcrumb>
            <Breadcrumb>
                <BreadcrumbItem to="#/">{_("Virtual machines")}</BreadcrumbItem>
                {/* items, not a fragment: the breadcrumb puts its dividers between its direct children */}
                {focus === null
                    ? <BreadcrumbItem isActive>{title}</BreadcrumbItem>
                    : [
                        <BreadcrumbItem key="all" to={"#/" + page}>{title}</BreadcrumbItem>,
                        <BreadcrumbItem key="one" isActive className="virt-breadcrumb-name" title={focus}>{focus}</BreadcrumbItem>,
                    ]}
            </Breadcrumb>
        </PageBreadcrumb>
    );
}

export function ActiveLabel({ active, state }: { active: boolean; state?: string }) {
    if (state && state !== "running" && state !== "inactive")
        return <Label color="orange" icon={<ExclamationCircleIcon />} isCompact>{state}</Label>;
    return active
        ? <Label color="green" icon={<PlayIcon />} isCompact>{_("Active")}</Label>
        : <Label color="grey" icon={<PowerOffIcon />} isCompact>{_("Inactive")}</Label>;
}

/** The driver of this connection is missing: libvirt's message and the package that provides it. */
export function DriverMissing({ title, message, pkg }: { title: string; message: string; pkg: string }) {
    return (
        <EmptyState titleText={title} headingLevel="h2" icon={ExclamationCircleIcon} className="virt-driver-missing">
            <EmptyStateBody>
                <p>{message}</p>
                <p>{cockpit.format(_("Install the package $0 and restart libvirtd."), pkg)}</p>
            </EmptyStateBody>
        </EmptyState>
    );
}

type Failure = { title: string; message: string };

function without(failures: Readonly<Record<string, Failure>>, id: string): Record<string, Failure> {
    return Object.fromEntries(Object.entries(failures).filter(([key]) => key !== id));
}

/** One running action per object (no double submit) and the last failure, until dismissed. */
export function useRowActions() {
    const running = useRef(new Set<string>());
    const [busy, setBusy] = useState<ReadonlySet<string>>(new Set());
    const [failures, setFailures] = useState<Readonly<Record<string, Failure>>>({});
    const run = useCallback(async (id: string, title: string, action: () => Promise<unknown>) => {
        if (running.current.has(id))
            return;
        running.current.add(id);
        setBusy(new Set(running.current));
        setFailures(old => without(old, id));
        try {
            await action();
        } catch (ex) {
            setFailures(old => ({ ...old, [id]: { title, message: ex instanceof Error ? ex.message : String(ex) } }));
        } finally {
            running.current.delete(id);
            setBusy(new Set(running.current));
        }
    }, []);
    const dismiss = useCallback((id: string) => setFailures(old => without(old, id)), []);
    return { busy, failures, run, dismiss };
}

export function RowFailure({ failure, onClose }: { failure: { title: string; message: string }; onClose: () => void }) {
    return (
        <Alert variant="danger" isInline isPlain title={failure.title} className="virt-row-failure"
               actionClose={<AlertActionCloseButton onClose={onClose} />}>
            {failure.message}
        </Alert>
    );
}
