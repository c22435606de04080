// The console card of the VM page: Graphics (VNC, noVNC) and Serial (xterm.js) tabs for whichever the VM has.
// Pop-out opens the console's own route (console-page.tsx) in a new window.

// xterm.js's CSS with the page's: the terminal's code is a chunk loaded on demand, and esbuild does not load
// a chunk's CSS by itself.
import "@xterm/xterm/css/xterm.css";
import "./console.css";

import { Card, CardBody, CardTitle } from "@patternfly/react-core/dist/esm/components/Card/index.js";
import { EmptyState, EmptyStateBody } from "@patternfly/react-core/dist/esm/components/EmptyState/index.js";
import { Tab, TabTitleText, Tabs } from "@patternfly/react-core/dist/esm/components/Tabs/index.js";
import { useState } from "react";

import type { Vm } from "../types.ts";
import { consoleHref } from "../views/routes.ts";

import { AddVncAlert } from "./add-vnc.tsx";
import type { ConsoleKind } from "./console-channel.ts";
import { ConsoleView } from "./console-view.tsx";
import { DesktopViewer } from "./desktop-viewer.tsx";
import { consoleKinds, graphicsOf, hasVnc } from "./devices.ts";

const _ = cockpit.gettext;

function popOut(vm: Vm, kind: ConsoleKind): Window | null {
    const url = window.location.pathname + window.location.search + consoleHref(vm, kind);
    return window.open(url, `virt-console-${vm.id}-${kind}`, "popup,width=1024,height=800");
}

export function ConsoleCard({ vm }: { vm: Vm }) {
    const kinds = consoleKinds(vm);
    const [selected, setSelected] = useState<ConsoleKind | null>(null);

    const kind = selected && kinds.includes(selected) ? selected : kinds[0];
    const vnc = graphicsOf(vm).find(g => g.type === "vnc");
    return (
        <Card className="virt-card-console" data-console-kinds={kinds.join(" ")}>
            <CardTitle component="h2">{_("Console")}</CardTitle>
            <CardBody>
                {!hasVnc(vm) && vm.persistent && <AddVncAlert vm={vm} />}
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
                {vnc && <DesktopViewer vm={vm} display={vnc} />}
            </CardBody>
        </Card>
    );
}
