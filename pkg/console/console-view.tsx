// One console of one VM with its toolbar: the viewer while connected, otherwise what keeps it from connecting
// and what to do about it. Used by the card (a tab each) and by the pop-out window.

import { Alert } from "@patternfly/react-core/dist/esm/components/Alert/index.js";
import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { Spinner } from "@patternfly/react-core/dist/esm/components/Spinner/index.js";
import { Dropdown, DropdownItem, DropdownList } from "@patternfly/react-core/dist/esm/components/Dropdown/index.js";
import { EmptyState, EmptyStateActions, EmptyStateBody, EmptyStateFooter } from "@patternfly/react-core/dist/esm/components/EmptyState/index.js";
import { Label } from "@patternfly/react-core/dist/esm/components/Label/index.js";
import { MenuToggle } from "@patternfly/react-core/dist/esm/components/MenuToggle/index.js";
import { ToggleGroup, ToggleGroupItem } from "@patternfly/react-core/dist/esm/components/ToggleGroup/index.js";
import { Toolbar, ToolbarContent, ToolbarGroup, ToolbarItem } from "@patternfly/react-core/dist/esm/components/Toolbar/index.js";
import { CompressIcon } from "@patternfly/react-icons/dist/esm/icons/compress-icon.js";
import { CopyIcon } from "@patternfly/react-icons/dist/esm/icons/copy-icon.js";
import { ExpandIcon } from "@patternfly/react-icons/dist/esm/icons/expand-icon.js";
import { ExternalLinkAltIcon } from "@patternfly/react-icons/dist/esm/icons/external-link-alt-icon.js";
import { PasteIcon } from "@patternfly/react-icons/dist/esm/icons/paste-icon.js";
import { Suspense, lazy, useEffect, useMemo, useRef, useState } from "react";

import { ACTIONS, performAction } from "../actions.ts";
import type { Vm } from "../types.ts";

import type { ConsoleKind } from "./console-channel.ts";
import { KEY_COMBOS } from "./keys.ts";
import { PasteDialog } from "./paste-dialog.tsx";
import type { SerialHandle } from "./serial-viewer.tsx";
import { type ConsoleStatus, useConsoleSession } from "./use-console-session.ts";
import type { VncHandle } from "./vnc-viewer.tsx";

// noVNC and xterm.js are half of the page's code: load them when a console first shows, not with the list.
const VncViewer = lazy(() => import("./vnc-viewer.tsx").then(m => ({ default: m.VncViewer })));
const SerialViewer = lazy(() => import("./serial-viewer.tsx").then(m => ({ default: m.SerialViewer })));

const _ = cockpit.gettext;

/** The VM has a QEMU process, so it may have a console (the helper has the last word). */
export function vmIsActive(vm: Vm): boolean {
    return vm.state !== "shutoff";
}

const STATUS_TEXT: Record<ConsoleStatus, string> = {
    connecting: _("Connecting"),
    connected: _("Connected"),
    stopped: _("Not running"),
    busy: _("In use elsewhere"),
    unsupported: _("Not available"),
    failed: _("Disconnected"),
    ended: _("Disconnected"),
    elsewhere: _("In another window"),
};

async function copyText(text: string): Promise<void> {
    try {
        await navigator.clipboard.writeText(text);
        return;
    } catch {
        // no Clipboard API here (not a secure context, or refused): fall back to the selection
    }
    const area = document.createElement("textarea");
    area.value = text;
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- the only way to copy outside a secure context
    document.execCommand("copy");
    area.remove();
}

interface Props {
    vm: Vm;
    kind: ConsoleKind;
    /** "card": in the VM page; "window": the pop-out window's whole page */
    variant: "card" | "window";
    /** the card opens the pop-out window; the window itself has none */
    onPopOut?: (() => Window | null) | undefined;
}

export function ConsoleView({ vm, kind, variant, onPopOut }: Props) {
    const active = vmIsActive(vm);
    const session = useConsoleSession(active);
    const { setElsewhere } = session;
    const target = useMemo(() => ({ uri: vm.uri, id: vm.id }), [vm.uri, vm.id]);
    const [scale, setScale] = useState(true);
    const [keysOpen, setKeysOpen] = useState(false);
    const [pasting, setPasting] = useState(false);
    const [copied, setCopied] = useState(false);
    const [expanded, setExpanded] = useState(false);
    const [fullscreen, setFullscreen] = useState(false);
    const [popupBlocked, setPopupBlocked] = useState(false);
    const [popup, setPopup] = useState<Window | null>(null);
    const boxRef = useRef<HTMLDivElement>(null);
    const vncRef = useRef<VncHandle>(null);
    const serialRef = useRef<SerialHandle>(null);

    // While the pop-out window is open, this one steps aside; it comes back when that window closes.
    useEffect(() => {
        if (!popup)
            return;
        setElsewhere(true);
        const timer = window.setInterval(() => {
            if (popup.closed) {
                setPopup(null);
                setElsewhere(false);
            }
        }, 500);
        return () => window.clearInterval(timer);
    }, [popup, setElsewhere]);

    useEffect(() => {
        const changed = () => setFullscreen(document.fullscreenElement !== null && document.fullscreenElement === boxRef.current);
        document.addEventListener("fullscreenchange", changed);
        return () => document.removeEventListener("fullscreenchange", changed);
    }, []);

    useEffect(() => {
        if (!copied)
            return;
        const timer = window.setTimeout(() => setCopied(false), 2000);
        return () => window.clearTimeout(timer);
    }, [copied]);

    const connected = session.status === "connected";

    const toggleFullscreen = () => {
        const box = boxRef.current;
        if (fullscreen) {
            document.exitFullscreen().catch(() => {});
        } else if (box && document.fullscreenEnabled && !expanded) {
            box.requestFullscreen().catch(() => setExpanded(true));
        } else {
            // Cockpit's shell frames do not allow fullscreen: fill the page's frame instead.
            setExpanded(!expanded);
        }
    };

    const popOut = () => {
        const win = onPopOut?.() ?? null;
        setPopupBlocked(!win);
        if (win)
            setPopup(win);
    };

    const focusViewer = () => (kind === "graphics" ? vncRef.current : serialRef.current)?.focus();

    const toolbar = (
        <Toolbar className="virt-console-toolbar" inset={{ default: "insetNone" }}>
            <ToolbarContent>
                <ToolbarItem>
                    <Label isCompact color={connected ? "green" : "grey"} className="virt-console-status">
                        {STATUS_TEXT[session.status]}
                    </Label>
                </ToolbarItem>
                {kind === "graphics" &&
                    <ToolbarItem>
                        <ToggleGroup isCompact aria-label={_("Display size")}>
                            <ToggleGroupItem text={_("Scale")} isSelected={scale} onChange={() => setScale(true)} />
                            <ToggleGroupItem text={_("1:1")} isSelected={!scale} onChange={() => setScale(false)} />
                        </ToggleGroup>
                    </ToolbarItem>}
                <ToolbarGroup align={{ default: "alignEnd" }} gap={{ default: "gapSm" }}>
                    {kind === "graphics" &&
                        <ToolbarItem>
                            <Dropdown isOpen={keysOpen} onOpenChange={setKeysOpen} shouldFocusToggleOnSelect
                                      popperProps={{ position: "right", appendTo: () => boxRef.current ?? document.body }}
                                      toggle={ref =>
                                          <MenuToggle ref={ref} size="sm" isDisabled={!connected} isExpanded={keysOpen}
                                                      onClick={() => setKeysOpen(!keysOpen)}>
                                              {_("Send key")}
                                          </MenuToggle>}>
                                <DropdownList className="virt-console-keys">
                                    {KEY_COMBOS.map(combo =>
                                        <DropdownItem key={combo.id} value={combo.id}
                                                      onClick={() => {
                                                          setKeysOpen(false);
                                                          vncRef.current?.sendKeys(combo.keys);
                                                      }}>
                                            {combo.label}
                                        </DropdownItem>)}
                                </DropdownList>
                            </Dropdown>
                        </ToolbarItem>}
                    <ToolbarItem>
                        <Button variant="secondary" size="sm" icon={<PasteIcon />} isDisabled={!connected}
                                onClick={() => setPasting(true)}>
                            {_("Paste")}
                        </Button>
                    </ToolbarItem>
                    {kind === "serial" &&
                        <ToolbarItem>
                            <Button variant="secondary" size="sm" icon={<CopyIcon />} isDisabled={!connected}
                                    onClick={() => {
                                        const text = serialRef.current?.text(false) ?? "";
                                        copyText(text).then(() => setCopied(true), () => {});
                                    }}>
                                {copied ? _("Copied") : _("Copy")}
                            </Button>
                        </ToolbarItem>}
                    <ToolbarItem>
                        <Button variant="plain" size="sm" onClick={toggleFullscreen}
                                aria-label={expanded || fullscreen ? _("Exit full screen") : _("Full screen")}
                                icon={expanded || fullscreen ? <CompressIcon /> : <ExpandIcon />} />
                    </ToolbarItem>
                    {onPopOut &&
                        <ToolbarItem>
                            <Button variant="plain" size="sm" onClick={popOut} aria-label={_("Open in a new window")}
                                    icon={<ExternalLinkAltIcon />} />
                        </ToolbarItem>}
                </ToolbarGroup>
            </ToolbarContent>
        </Toolbar>
    );

    let body;
    if (session.attempt !== null) {
        body = (
            <Suspense fallback={<Spinner size="lg" aria-label={_("Loading the console")} />}>
                {kind === "graphics"
                    ? <VncViewer key={session.attempt} ref={vncRef} target={target} scale={scale}
                                 onConnected={session.onConnected} onClosed={session.onClosed} />
                    : <SerialViewer key={session.attempt} ref={serialRef} target={target} force={session.force}
                                    onConnected={session.onConnected} onClosed={session.onClosed} />}
            </Suspense>
        );
    } else {
        body = <ConsoleState vm={vm} kind={kind} status={session.status} message={session.message}
                             onReconnect={session.reconnect}
                             onShowHere={() => { popup?.close(); setPopup(null); setElsewhere(false) }} />;
    }

    return (
        <div ref={boxRef}
             className={`virt-console virt-console-${variant}${expanded ? " virt-console-expanded" : ""}`}
             data-console-kind={kind} data-console-status={session.status}>
            {toolbar}
            {popupBlocked &&
                <Alert isInline isPlain variant="warning" title={_("The browser blocked the new window. Allow pop-ups for this site.")} />}
            <div className="virt-console-body" onClick={focusViewer}>
                {body}
            </div>
            {pasting &&
                <PasteDialog kind={kind}
                             onClose={text => {
                                 setPasting(false);
                                 if (text === null)
                                     return;
                                 if (kind === "graphics")
                                     vncRef.current?.typeText(text);
                                 else
                                     serialRef.current?.paste(text);
                             }} />}
        </div>
    );
}

interface StateProps {
    vm: Vm;
    kind: ConsoleKind;
    status: ConsoleStatus;
    message: string;
    onReconnect: (force?: boolean) => void;
    onShowHere: () => void;
}

function ConsoleState({ vm, kind, status, message, onReconnect, onShowHere }: StateProps) {
    let title: string;
    let body: string = message;
    let actions = null;
    switch (status) {
    case "stopped":
        title = _("The VM is not running");
        body = kind === "graphics"
            ? _("Its display shows here once it runs.")
            : _("Its serial console shows here once it runs.");
        actions = (
            <Button variant="primary"
                    onClick={() => { performAction(vm, ACTIONS.start).catch((ex: unknown) => console.error("virt: run", ex)) }}>
                {_("Run")}
            </Button>
        );
        break;
    case "busy":
        title = _("The serial console is in use");
        actions = (
            <>
                <Button variant="primary" onClick={() => onReconnect(true)}>{_("Take over")}</Button>
                <Button variant="link" onClick={() => onReconnect()}>{_("Try again")}</Button>
            </>
        );
        break;
    case "unsupported":
        title = kind === "graphics" ? _("No graphical console") : _("No serial console");
        break;
    case "ended":
    case "connecting":
        title = _("Reconnecting");
        body = "";
        break;
    case "elsewhere":
        title = _("The console is open in another window");
        body = "";
        actions = <Button variant="secondary" onClick={onShowHere}>{_("Show it here")}</Button>;
        break;
    default:
        title = _("Disconnected");
        actions = <Button variant="secondary" onClick={() => onReconnect()}>{_("Reconnect")}</Button>;
    }
    return (
        <EmptyState titleText={title} headingLevel="h3" variant="sm" className="virt-console-state">
            {body && <EmptyStateBody>{body}</EmptyStateBody>}
            {actions &&
                <EmptyStateFooter>
                    <EmptyStateActions>{actions}</EmptyStateActions>
                </EmptyStateFooter>}
        </EmptyState>
    );
}
