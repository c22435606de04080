// "Desktop viewer": how to open this VM's display in a viewer on the user's own machine, with a vnc:// link and
// a .vv file where the display is reachable from the browser's machine, and the SSH way where it is not.

import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { ClipboardCopy } from "@patternfly/react-core/dist/esm/components/ClipboardCopy/index.js";
import { ExpandableSection } from "@patternfly/react-core/dist/esm/components/ExpandableSection/index.js";
import { Content } from "@patternfly/react-core/dist/esm/components/Content/index.js";
import { Flex } from "@patternfly/react-core/dist/esm/layouts/Flex/index.js";
import { useState } from "react";

import { shellQuote } from "../shell-quote.ts";
import type { Vm } from "../types.ts";

import type { GraphicsDevice } from "./devices.ts";
import { managedHost, viewerAddress, vncUrl, vvFile } from "./viewer-address.ts";

const _ = cockpit.gettext;

function pageOrigin() {
    return { browserHost: window.location.hostname, transportHost: cockpit.transport.host };
}

function systemUri(uri: string): boolean {
    return uri === "qemu:///system";
}

function downloadVv(vm: Vm, host: string, port: number) {
    const blob = new Blob([vvFile(vm.name, host, port)], { type: "application/x-virt-viewer" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = `${vm.name}.vv`;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

export function DesktopViewer({ vm, display }: { vm: Vm; display: GraphicsDevice }) {
    const [expanded, setExpanded] = useState(false);
    const origin = pageOrigin();
    const address = viewerAddress(display, origin);
    const host = managedHost(origin);
    const sshTarget = host.includes(":") ? `[${host}]` : host;
    const connectArg = systemUri(vm.uri) ? `qemu+ssh://${sshTarget}/system` : `qemu+ssh://${sshTarget}/session`;

    let body;
    if (address.reachable) {
        const url = vncUrl(address.host, address.port);
        body = (
            <>
                <Content component="p">{_("Open the display in a VNC viewer on your computer:")}</Content>
                <Flex alignItems={{ default: "alignItemsCenter" }}>
                    <Button variant="secondary" component="a" href={url} className="virt-vnc-link">{url}</Button>
                    <Button variant="secondary" className="virt-vv-download"
                            onClick={() => downloadVv(vm, address.host, address.port)}>
                        {_("Download .vv file")}
                    </Button>
                </Flex>
                <Content component="small">
                    {_("The .vv file opens in remote-viewer (virt-viewer). A firewall between you and the host may block the port.")}
                </Content>
            </>
        );
    } else {
        const why = {
            socket: _("This display listens on a local socket on the host, not on the network."),
            stopped: _("The display has a network port only while the VM runs."),
            loopback: _("This display listens only on the host's loopback address, so only a viewer on the host itself can reach it."),
        }[address.reason];
        body = (
            <>
                <Content component="p">{why}</Content>
                {address.reason !== "stopped" &&
                    <>
                        <Content component="p">{_("A viewer on your computer can reach it through SSH:")}</Content>
                        <ClipboardCopy isReadOnly hoverTip={_("Copy")} clickTip={_("Copied")} className="virt-viewer-ssh">
                            {`virt-viewer --connect ${shellQuote(connectArg)} -- ${shellQuote(vm.name)}`}
                        </ClipboardCopy>
                        {address.reason === "loopback" && address.port &&
                            <ClipboardCopy isReadOnly hoverTip={_("Copy")} clickTip={_("Copied")}>
                                {`ssh -L ${address.port}:127.0.0.1:${address.port} ${shellQuote(sshTarget)}   # ${_("then open")} ${vncUrl("localhost", address.port)}`}
                            </ClipboardCopy>}
                    </>}
            </>
        );
    }
    return (
        <ExpandableSection toggleText={_("Desktop viewer")} isExpanded={expanded} onToggle={(_ev, open) => setExpanded(open)}
                           className="virt-desktop-viewer" data-reachable={address.reachable ? "yes" : address.reason}>
            {body}
        </ExpandableSection>
    );
}
