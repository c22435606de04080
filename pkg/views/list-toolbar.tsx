// The list's toolbar: filter by name, filter by state, how many VMs are shown, connection badges, and the
// buttons that create or import a VM.

import { MenuToggle } from "@patternfly/react-core/dist/esm/components/MenuToggle/index.js";
import { SearchInput } from "@patternfly/react-core/dist/esm/components/SearchInput/index.js";
import { Select, SelectList, SelectOption } from "@patternfly/react-core/dist/esm/components/Select/index.js";
import { Toolbar, ToolbarContent, ToolbarGroup, ToolbarItem } from "@patternfly/react-core/dist/esm/components/Toolbar/index.js";
import { useState } from "react";

import { connectionLabel } from "../connections.ts";
import type { ConnectionStatus } from "../types.ts";

import { ConnectionBadges } from "./connection-status.tsx";
import { CreateButtons } from "./create-buttons.tsx";
import type { StateFilter } from "./list-order.ts";

const _ = cockpit.gettext;

const STATE_FILTERS: readonly { value: StateFilter; label: string }[] = [
    { value: "all", label: _("All states") },
    { value: "running", label: _("Running") },
    { value: "paused", label: _("Paused") },
    { value: "shutoff", label: _("Shut off") },
    { value: "crashed", label: _("Crashed") },
    { value: "other", label: _("Other states") },
];

interface Props {
    text: string;
    onText: (text: string) => void;
    state: StateFilter;
    onState: (state: StateFilter) => void;
    /** the host filter: a connection URI, "" for all (shown with several connections) */
    host: string;
    onHost: (host: string) => void;
    shown: number;
    total: number;
    connections: readonly ConnectionStatus[];
}

export function ListToolbar({ text, onText, state, onState, host, onHost, shown, total, connections }: Props) {
    const [stateOpen, setStateOpen] = useState(false);
    const [hostOpen, setHostOpen] = useState(false);
    const hostLabel = host ? connectionLabel(host) : _("All hosts");
    const stateLabel = STATE_FILTERS.find(f => f.value === state)?.label ?? "";

    return (
        <Toolbar className="virt-list-toolbar" inset={{ default: "insetNone" }}>
            <ToolbarContent>
                <ToolbarGroup variant="filter-group">
                    <ToolbarItem>
                        <SearchInput placeholder={_("Filter by name")} aria-label={_("Filter by name")}
                                     value={text} onChange={(_ev, value) => onText(value)}
                                     onClear={() => onText("")} />
                    </ToolbarItem>
                    <ToolbarItem>
                        <Select isOpen={stateOpen} selected={state} onOpenChange={setStateOpen}
                                onSelect={(_ev, value) => { onState(value as StateFilter); setStateOpen(false) }}
                                toggle={ref =>
                                    <MenuToggle ref={ref} isExpanded={stateOpen} onClick={() => setStateOpen(!stateOpen)}
                                                aria-label={cockpit.format(_("State filter: $0"), stateLabel)}
                                                className="virt-state-filter">
                                        {stateLabel}
                                    </MenuToggle>}>
                            <SelectList>
                                {STATE_FILTERS.map(f =>
                                    <SelectOption key={f.value} value={f.value} isSelected={f.value === state}>
                                        {f.label}
                                    </SelectOption>)}
                            </SelectList>
                        </Select>
                    </ToolbarItem>
                    {connections.length > 1 &&
                        <ToolbarItem>
                            <Select isOpen={hostOpen} selected={host} onOpenChange={setHostOpen}
                                    onSelect={(_ev, value) => { onHost(String(value ?? "")); setHostOpen(false) }}
                                    toggle={ref =>
                                        <MenuToggle ref={ref} isExpanded={hostOpen} onClick={() => setHostOpen(!hostOpen)}
                                                    aria-label={cockpit.format(_("Host filter: $0"), hostLabel)}
                                                    className="virt-host-filter">
                                            {hostLabel}
                                        </MenuToggle>}>
                                <SelectList>
                                    <SelectOption value="" isSelected={host === ""}>{_("All hosts")}</SelectOption>
                                    {connections.map(c =>
                                        <SelectOption key={c.uri} value={c.uri} isSelected={c.uri === host}>
                                            {connectionLabel(c.uri)}
                                        </SelectOption>)}
                                </SelectList>
                            </Select>
                        </ToolbarItem>}
                </ToolbarGroup>
                <ToolbarItem alignSelf="center">
                    <ConnectionBadges connections={connections} />
                </ToolbarItem>
                <ToolbarItem align={{ default: "alignEnd" }} alignSelf="center" className="virt-list-count">
                    {shown === total
                        ? cockpit.format(cockpit.ngettext("$0 VM", "$0 VMs", total), total)
                        : cockpit.format(_("$0 of $1 VMs"), shown, total)}
                </ToolbarItem>
                <ToolbarGroup variant="action-group">
                    <CreateButtons />
                </ToolbarGroup>
            </ToolbarContent>
        </Toolbar>
    );
}
