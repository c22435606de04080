// What the page says about connections: a failing connection gets an alert that says what to do; one that is
// (re)connecting gets a small badge; and the list's empty states (loading, no VMs, nothing reachable).

import { Alert } from "@patternfly/react-core/dist/esm/components/Alert/index.js";
import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { Content } from "@patternfly/react-core/dist/esm/components/Content/index.js";
import { EmptyState, EmptyStateActions, EmptyStateBody, EmptyStateFooter } from "@patternfly/react-core/dist/esm/components/EmptyState/index.js";
import { Label } from "@patternfly/react-core/dist/esm/components/Label/index.js";
import { Spinner } from "@patternfly/react-core/dist/esm/components/Spinner/index.js";
import { Stack, StackItem } from "@patternfly/react-core/dist/esm/layouts/Stack/index.js";
import { VirtualMachineIcon } from "@patternfly/react-icons/dist/esm/icons/virtual-machine-icon.js";
import { useEffect, useState } from "react";

import { wantsLogin } from "../client/saved-connections.ts";
import { reasonText } from "../connection-reasons.ts";
import { SESSION_URI, SYSTEM_URI } from "../connection-uris.ts";
import { connectionLabel } from "../connections.ts";
import { showHostLoginDialog } from "../dialogs/host-login.tsx";
import type { ConnectionStatus } from "../types.ts";

import { CreateButtons } from "./create-buttons.tsx";
import { SystemAccessHelp } from "./system-access.tsx";

const _ = cockpit.gettext;

/** qemu:///system, also spelled with an explicit unix transport or socket */
const LOCAL_SYSTEM = /^qemu(\+unix)?:\/\/\/system(\?|$)/;

export function isFailing(status: ConnectionStatus): boolean {
    return status.state === "unreachable" || status.state === "access-denied" || status.state === "failed";
}

/** libvirt's refusal text is shown behind "Show details" there (SystemAccessHelp). */
function isSystemAccessDenied(status: ConnectionStatus): boolean {
    return status.state === "access-denied" && status.uri === SYSTEM_URI;
}

function failureTitle(status: ConnectionStatus, several: boolean): string {
    const label = connectionLabel(status.uri);
    if (status.state === "access-denied") {
        if (status.uri === SYSTEM_URI)
            return _("No access to system VMs");
        return cockpit.format(_("No access to $0"), label);
    }
    if (status.state === "unreachable")
        return several ? cockpit.format(_("libvirt is not reachable ($0)"), label) : _("libvirt is not reachable");
    return several
        ? cockpit.format(_("Cannot list virtual machines ($0)"), label)
        : _("Cannot list virtual machines");
}

function FailureHints({ status, others }: { status: ConnectionStatus; others: readonly ConnectionStatus[] }) {
    if (status.state === "access-denied") {
        return (
            <>
                {status.uri === SYSTEM_URI && <SystemAccessHelp status={status} />}
                {status.uri !== SYSTEM_URI && !wantsLogin(status.reason) &&
                    <Content component="p">{_("This user may not use this libvirt connection.")}</Content>}
                {status.uri !== SYSTEM_URI && wantsLogin(status.reason) &&
                    <Content component="p">
                        {reasonText(status.reason)}{" "}
                        <Button variant="link" isInline className="virt-connection-login"
                                onClick={() => { void showHostLoginDialog(status.uri) }}>
                            {_("Log in")}
                        </Button>
                    </Content>}
                {others.length > 0 &&
                    <Content component="p">
                        {others.some(c => c.uri === SESSION_URI)
                            ? _("Your session virtual machines are still shown.")
                            : _("Virtual machines of the other connections are still shown.")}
                    </Content>}
            </>
        );
    }
    if (status.state === "unreachable") {
        let hint;
        if (status.uri === SESSION_URI)
            hint = _("Your own libvirt (the session daemon) could not be started. Check that libvirt's QEMU driver is installed; the journal has the details.");
        else if (LOCAL_SYSTEM.test(status.uri))
            hint = <>{_("Make sure libvirt is running, for example with")} <code>systemctl start libvirtd</code>.</>;
        else
            hint = _("Make sure libvirt is running there and the connection URI is right.");
        return (
            <Content component="p">
                {hint} {_("The page reconnects automatically.")}
            </Content>
        );
    }
    return (
        <Content component="p">
            {status.problem === "not-supported"
                ? _("The cockpit-virt helper is missing or too old. Install or update cockpit-virt.")
                : _("The cockpit-virt helper stopped.")}{" "}
            {_("The page retries automatically.")}
        </Content>
    );
}

interface FailureProps {
    status: ConnectionStatus;
    several: boolean;
    /** the connections that work */
    others: readonly ConnectionStatus[];
}

function ConnectionFailure({ status, several, others }: FailureProps) {
    return (
        <Alert isInline variant={status.state === "access-denied" ? "warning" : "danger"}
               title={failureTitle(status, several)} className="virt-connection-alert"
               data-connection={status.uri} data-connection-state={status.state}>
            {status.message && !isSystemAccessDenied(status) &&
                <Content component="p" className="virt-libvirt-message">{status.message}</Content>}
            <FailureHints status={status} others={others} />
        </Alert>
    );
}

/** Alerts for every failing connection. */
export function ConnectionAlerts({ connections }: { connections: readonly ConnectionStatus[] }) {
    const failing = connections.filter(isFailing);
    if (failing.length === 0)
        return null;
    const several = connections.length > 1;
    const others = connections.filter(c => !isFailing(c));
    return (
        <Stack hasGutter className="virt-connection-alerts">
            {failing.map(status =>
                <StackItem key={status.uri}>
                    <ConnectionFailure status={status} several={several} others={others} />
                </StackItem>)}
        </Stack>
    );
}

/** Small badges for connections that are being (re)established; their rows stay meanwhile. */
export function ConnectionBadges({ connections }: { connections: readonly ConnectionStatus[] }) {
    const busy = connections.filter(c => c.state === "reconnecting" || (c.synced && c.state === "connecting"));
    return (
        <>
            {busy.map(c =>
                <Label key={c.uri} color="orange" isCompact icon={<Spinner size="sm" aria-hidden />}
                       className="virt-connection-badge" data-connection={c.uri} data-connection-state={c.state}>
                    {cockpit.format(_("$0: reconnecting…"), connectionLabel(c.uri))}
                </Label>)}
        </>
    );
}

const SLOW_MS = 10000;

/** Loading: brief as a rule; if libvirt takes long to answer, it says so rather than spinning silently. */
export function LoadingState() {
    const [slow, setSlow] = useState(false);
    useEffect(() => {
        const timer = window.setTimeout(() => setSlow(true), SLOW_MS);
        return () => window.clearTimeout(timer);
    }, []);
    return (
        <EmptyState titleText={_("Loading virtual machines…")} headingLevel="h2" icon={Spinner}
                    className="virt-loading">
            {slow &&
                <EmptyStateBody>
                    {_("libvirt is taking long to answer. The virtual machines show up as soon as it does.")}
                </EmptyStateBody>}
        </EmptyState>
    );
}

export function NoVmsState() {
    return (
        <EmptyState titleText={_("No virtual machines")} headingLevel="h2" icon={VirtualMachineIcon}
                    className="virt-no-vms">
            <EmptyStateBody>
                {_("Virtual machines that libvirt knows about show up here as soon as they are defined.")}
            </EmptyStateBody>
            <EmptyStateFooter>
                <EmptyStateActions>
                    <CreateButtons />
                </EmptyStateActions>
            </EmptyStateFooter>
        </EmptyState>
    );
}
