// The actions of one VM: the obvious next step as a button, everything that makes sense now in a kebab menu.
// Used by the list rows and the VM page. While an action runs, the button spins and nothing can be submitted.
// The menu itself (PatternFly's Dropdown and its Popper) is made on the first open: a row pays for a toggle only.

import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { Divider } from "@patternfly/react-core/dist/esm/components/Divider/index.js";
import { Dropdown, DropdownItem, DropdownList } from "@patternfly/react-core/dist/esm/components/Dropdown/index.js";
import { MenuToggle, type MenuToggleElement } from "@patternfly/react-core/dist/esm/components/MenuToggle/index.js";
import { EllipsisVIcon } from "@patternfly/react-icons/dist/esm/icons/ellipsis-v-icon.js";
import type React from "react";
import { useState } from "react";

import { ACTIONS, type ActionDef, MENU_GROUPS, performAction, primaryAction } from "../actions.ts";
import { showConfirmActionDialog } from "../dialogs/confirm-action.tsx";
import { showDeleteVmDialog } from "../dialogs/delete-vm.tsx";
import { showMigrateDialog } from "../dialogs/migrate.tsx";
import type { VmAction } from "../client/action.ts";
import { addNotice } from "../store/notices.ts";
import type { Vm } from "../types.ts";

const _ = cockpit.gettext;

/**
 * Asks where the action wants it (confirmation, delete dialog), then runs it. `onDelete` runs once a delete is
 * confirmed (the VM page leaves for the list then, as the VM is about to vanish).
 */
async function requestAction(vm: Vm, def: ActionDef, onDelete?: () => void): Promise<void> {
    if (def.id === "delete") {
        const storage = await showDeleteVmDialog(vm);
        if (storage === null)
            return;
        onDelete?.();
        await performAction(vm, def, { storage: storage.map(c => ({ target: c.target, source: c.source })) });
        return;
    }
    if (await showConfirmActionDialog(vm, def))
        await performAction(vm, def);
}

/** The menu's items, grouped: only what makes sense for `vm` now (worked out when the menu is shown). */
function menuGroups(vm: Vm): ActionDef[][] {
    return MENU_GROUPS
        .map(group => group.map(id => ACTIONS[id]).filter(def => def.available(vm)))
        .filter(group => group.length > 0);
}

interface Props {
    vm: Vm;
    pending: VmAction | null;
    /** smaller controls for table rows */
    isCompact?: boolean;
    /** a delete was confirmed */
    onDelete?: () => void;
}

export function VmActions({ vm, pending, isCompact = false, onDelete }: Props) {
    const [isOpen, setOpen] = useState(false);
    const [menuMade, setMenuMade] = useState(false);
    const busy = pending !== null;
    const primary = primaryAction(vm);

    // A running VM moves live; a shut-off one can move its definition.
    const canMigrate = vm.state !== "shutoff" || vm.persistent;
    const migrate = () => {
        setOpen(false);
        showMigrateDialog(vm).then(destination => {
            // The VM leaves this connection's list (or stays shut off here): say where it went.
            if (destination !== null)
                addNotice({ variant: "info", title: cockpit.format(_("$0 was migrated to $1"), vm.name, destination), details: [] });
        }).catch((ex: unknown) => console.error("virt: migrate dialog failed unexpectedly", ex));
    };

    const select = (def: ActionDef) => {
        setOpen(false);
        requestAction(vm, def, onDelete).catch((ex: unknown) => console.error("virt: action failed unexpectedly", ex));
    };

    const toggle = (ref?: React.Ref<MenuToggleElement>) =>
        <MenuToggle ref={ref} variant="plain" isDisabled={busy} isExpanded={isOpen}
                    size={isCompact ? "sm" : "default"}
                    aria-label={cockpit.format(_("Actions for $0"), vm.name)}
                    onClick={() => {
                        if (menuMade) {
                            setOpen(!isOpen);
                            return;
                        }
                        // The new menu listens for clicks outside its toggle, and the toggle it renders is a new
                        // element: this very click would close it again. Open it once the click is over.
                        setMenuMade(true);
                        window.setTimeout(() => setOpen(true), 0);
                    }}
                    icon={<EllipsisVIcon />} />;

    return (
        <div className="virt-actions">
            {primary &&
                <Button variant="secondary" size={isCompact ? "sm" : "default"} className="virt-primary-action"
                        isLoading={busy} isDisabled={busy}
                        aria-label={cockpit.format("$0 $1", primary.label, vm.name)}
                        onClick={() => select(primary)}>
                    {primary.label}
                </Button>}
            {!menuMade
                ? toggle()
                : <Dropdown isOpen={isOpen} onOpenChange={setOpen} shouldFocusToggleOnSelect shouldFocusFirstItemOnOpen
                            popperProps={{ position: "right", appendTo: () => document.body }}
                            toggle={toggle}>
                    <DropdownList>
                        {menuGroups(vm).flatMap((group, i) => [
                            ...i > 0 ? [<Divider component="li" key={`divider-${i}`} />] : [],
                            ...group.map(def =>
                                <DropdownItem key={def.id} value={def.id} onClick={() => select(def)}
                                              isDanger={def.id === "delete"}
                                              {...def.description ? { description: def.description } : {}}>
                                    {def.label}
                                </DropdownItem>),
                            ...i === 0 && canMigrate
                                ? [<DropdownItem key="migrate" value="migrate" onClick={migrate}>{_("Migrate…")}</DropdownItem>]
                                : [],
                        ])}
                    </DropdownList>
                </Dropdown>}
        </div>
    );
}
