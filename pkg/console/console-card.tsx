// The console card of the VM page: Graphics (VNC, noVNC) and Serial (xterm.js) tabs for whichever the VM has.
// With `?console=graphics|serial` in the VM page's location (the pop-out window), the console fills the window
// instead and the rest of the page hides.

import "./console.css";

import { Card, CardBody, CardTitle } from "@patternfly/react-core/dist/esm/components/Card/index.js";
import { EmptyState, EmptyStateBody } from "@patternfly/react-core/dist/esm/components/EmptyState/index.js";
import { Tab, TabTitleText, Tabs } from "@patternfly/react-core/dist/esm/components/Tabs/index.js";
import { Title } from "@patternfly/react-core/dist/esm/components/Title/index.js";
import { useEffect, useState } from "react";
import { createPortal } from "react-dom";

import type { Vm } from "../types.ts";
import { vmPath } from "../views/routes.ts";
import { VmStateLabel } from "../views/state-label.tsx";

import type { ConsoleKind } from "./console-channel.ts";
import { ConsoleView } from "./console-view.tsx";

const _ = cockpit.gettext;

/** The devices the helper reports beside the fields of types.ts (docs/api.md, op `watch`). */
interface ConsoleDevices {
    graphics?: { type: string }[];
    consoles?: { type: string; target: string | null }[];
}

function consoleKinds(vm: Vm): ConsoleKind[] {
    const devices = vm as Vm & ConsoleDevices;
    const kinds: ConsoleKind[] = [];
    if ((devices.graphics ?? []).length > 0)
        kinds.push("graphics");
    if ((devices.consoles ?? []).length > 0)
        kinds.push("serial");
    // A display the console cannot show (SPICE) should not hide a serial console that works.
    const hasVnc = (devices.graphics ?? []).some(g => g.type === "vnc");
    if (!hasVnc && kinds.length === 2)
        kinds.reverse();
    return kinds;
}

/** The pop-out window's console kind, from the location's options. */
function windowKind(): ConsoleKind | null {
    const option = cockpit.location.options.console;
    return option === "graphics" || option === "serial" ? option : null;
}

function popOut(vm: Vm, kind: ConsoleKind): Window | null {
    const hash = cockpit.location.encode(vmPath(vm), { console: kind });
    const url = window.location.pathname + window.location.search + "#" + hash;
    return window.open(url, `virt-console-${vm.id}-${kind}`, "popup,width=1024,height=800");
}

function ConsoleWindow({ vm, kind }: { vm: Vm; kind: ConsoleKind }) {
    useEffect(() => {
        document.body.classList.add("virt-console-window-page");
        return () => document.body.classList.remove("virt-console-window-page");
    }, []);
    return createPortal(
        <div className="virt-console-window-frame">
            <div className="virt-console-window-header">
                <Title headingLevel="h1" size="lg">
                    {cockpit.format(kind === "graphics" ? _("$0: display") : _("$0: serial console"), vm.name)}
                </Title>
                <VmStateLabel state={vm.state} isCompact />
            </div>
            <ConsoleView vm={vm} kind={kind} variant="window" />
        </div>,
        document.body);
}

export function ConsoleCard({ vm }: { vm: Vm }) {
    const kinds = consoleKinds(vm);
    const [selected, setSelected] = useState<ConsoleKind | null>(null);
    const windowOf = windowKind();
    if (windowOf)
        return <ConsoleWindow vm={vm} kind={windowOf} />;

    const kind = selected && kinds.includes(selected) ? selected : kinds[0];
    return (
        <Card className="virt-card-console" data-console-kinds={kinds.join(" ")}>
            <CardTitle component="h2">{_("Console")}</CardTitle>
            <CardBody>
                {kind
                    ? <Tabs activeKey={kind} onSelect={(_ev, key) => setSelected(key as ConsoleKind)} mountOnEnter unmountOnExit
                            aria-label={_("Consoles")}>
                        {kinds.map(k =>
                            <Tab key={k} eventKey={k}
                                 title={<TabTitleText>{k === "graphics" ? _("Graphics") : _("Serial")}</TabTitleText>}>
                                <ConsoleView vm={vm} kind={k} variant="card" onPopOut={() => popOut(vm, k)} />
                            </Tab>)}
                    </Tabs>
                    : <EmptyState titleText={_("No console")} headingLevel="h3" variant="sm">
                        <EmptyStateBody>
                            {_("This VM has neither a graphical display (VNC) nor a serial console.")}
                        </EmptyStateBody>
                    </EmptyState>}
            </CardBody>
        </Card>
    );
}
