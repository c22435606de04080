// The OS picker: a typeahead over the whole osinfo list (end-of-life entries only when "Show end-of-life", in
// the menu's footer, is checked), a "Generic OS" choice that must be picked on purpose, and what auto-detection
// found.

import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { Checkbox } from "@patternfly/react-core/dist/esm/components/Checkbox/index.js";
import { FormGroup } from "@patternfly/react-core/dist/esm/components/Form/index.js";
import { MenuFooter } from "@patternfly/react-core/dist/esm/components/Menu/index.js";
import { MenuToggle } from "@patternfly/react-core/dist/esm/components/MenuToggle/index.js";
import { Select, SelectList, SelectOption } from "@patternfly/react-core/dist/esm/components/Select/index.js";
import { TextInputGroup, TextInputGroupMain, TextInputGroupUtilities } from "@patternfly/react-core/dist/esm/components/TextInputGroup/index.js";
import { TimesIcon } from "@patternfly/react-icons/dist/esm/icons/times-icon.js";
import type React from "react";
import { useEffect, useMemo, useState } from "react";

import type { OsInfo } from "../../client/osinfo.ts";

import { FieldMessage } from "./field-message.tsx";
import { GENERIC_OS, type Messages } from "./form.ts";
import { searchOses } from "./os-search.ts";

const _ = cockpit.gettext;

/** Esc keydowns that closed the menu: the dialog must not close on them too. PatternFly's modal listens for Esc
 * on the same element React does, so stopping propagation cannot keep it from seeing them. */
const menuEscapes = new WeakSet<Event>();

/** Whether an Esc belongs to the OS menu: it closed it, or the menu is open (the modal may hear it first). */
export function isMenuEscape(ev: Event, menuOpen: boolean): boolean {
    return menuOpen || menuEscapes.has(ev);
}

/** Options rendered at once; the rest is reached by typing more. */
const SHOWN = 30;

export interface DetectState {
    /** a question is on its way */
    busy: boolean;
    /** the name of what was found, or null */
    found: string | null;
}

interface Props {
    oses: readonly OsInfo[];
    /** the list is still being read */
    loading: boolean;
    value: string | null;
    onChange: (shortId: string) => void;
    /** kept up to date with whether the menu is open (see isMenuEscape) */
    menuOpenRef: React.MutableRefObject<boolean>;
    detect: DetectState;
    /** why the list is empty (no osinfo-db, an older helper) */
    listProblem: string | null;
    errors: Messages;
    warnings: Messages;
}

export function osLabel(oses: readonly OsInfo[], value: string | null): string {
    if (value === null)
        return "";
    if (value === GENERIC_OS)
        return _("Generic OS");
    return oses.find(os => os.short_id === value)?.name ?? value;
}

export function OsPicker({ oses, loading, value, onChange, menuOpenRef, detect, listProblem, errors, warnings }: Props) {
    const [open, setOpen] = useState(false);
    useEffect(() => {
        menuOpenRef.current = open;
    }, [open, menuOpenRef]);
    // null: not typing, the input shows the chosen OS
    const [query, setQuery] = useState<string | null>(null);
    const [showEol, setShowEol] = useState(false);
    const [focused, setFocused] = useState(0);

    const { shown, total } = useMemo(() => searchOses(oses, query ?? "", showEol, SHOWN), [oses, query, showEol]);
    const choices = useMemo(() => [...shown.map(os => os.short_id), GENERIC_OS], [shown]);

    const choose = (shortId: string) => {
        onChange(shortId);
        setQuery(null);
        setOpen(false);
    };

    const onKeyDown = (ev: React.KeyboardEvent) => {
        if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
            ev.preventDefault();
            setOpen(true);
            const step = ev.key === "ArrowDown" ? 1 : -1;
            setFocused(i => (i + step + choices.length) % choices.length);
        } else if (ev.key === "Enter" && open) {
            // Enter picks the highlighted OS here; it does not submit the dialog.
            ev.preventDefault();
            ev.stopPropagation();
            const choice = choices[Math.min(focused, choices.length - 1)];
            if (choice)
                choose(choice);
        } else if (ev.key === "Escape" && open) {
            menuEscapes.add(ev.nativeEvent);
            setOpen(false);
            setQuery(null);
        }
    };

    const focusedChoice = choices[Math.min(focused, choices.length - 1)];
    const toggle = (ref: React.Ref<HTMLButtonElement>) =>
        <MenuToggle ref={ref} variant="typeahead" isFullWidth isExpanded={open}
                    onClick={() => setOpen(!open)}
                    {...errors.os ? { status: "danger" as const } : {}}>
            <TextInputGroup isPlain>
                <TextInputGroupMain inputId="create-os" value={query ?? osLabel(oses, value)}
                                    placeholder={loading ? _("Loading operating systems…") : _("Search for an operating system")}
                                    autoComplete="off" role="combobox" isExpanded={open} aria-controls="create-os-list"
                                    aria-invalid={errors.os ? true : undefined}
                                    onClick={() => setOpen(true)}
                                    onChange={(_ev, text) => { setQuery(text); setFocused(0); setOpen(true) }}
                                    onKeyDown={onKeyDown}
                                    onBlur={() => { if (!open) setQuery(null) }} />
                {(query ?? value) !== null && (query ?? "") !== "" &&
                    <TextInputGroupUtilities>
                        <Button variant="plain" aria-label={_("Clear the search")} icon={<TimesIcon />}
                                onClick={() => { setQuery(""); setFocused(0); setOpen(true) }} />
                    </TextInputGroupUtilities>}
            </TextInputGroup>
        </MenuToggle>;

    let hint;
    if (detect.busy)
        hint = <span id="create-os-detected">{_("Detecting the operating system…")}</span>;
    else if (detect.found)
        hint = <span id="create-os-detected">{cockpit.format(_("Detected: $0"), detect.found)}</span>;
    else if (value === GENERIC_OS)
        hint = _("No OS-specific settings: virtio devices and BIOS firmware");
    else if (listProblem && !loading && oses.length === 0)
        hint = cockpit.format(_("The list of operating systems is not available: $0"), listProblem);

    return (
        <FormGroup label={_("Operating system")} fieldId="create-os" isRequired>
            <Select isOpen={open} selected={value} onOpenChange={isOpen => { setOpen(isOpen); if (!isOpen) setQuery(null) }}
                    onSelect={(_ev, v) => { if (typeof v === "string") choose(v) }}
                    toggle={toggle} variant="typeahead" isScrollable maxMenuHeight="20rem"
                    shouldFocusFirstItemOnOpen={false}
                    // In the dialog, not on <body>: the modal hides its siblings from assistive technology.
                    popperProps={{ appendTo: "inline" }}>
                <SelectList id="create-os-list" aria-label={_("Operating systems")}>
                    {shown.map(os =>
                        <SelectOption key={os.short_id} value={os.short_id} isSelected={os.short_id === value}
                                      isFocused={os.short_id === focusedChoice}
                                      description={os.eol ? _("End of life") : os.vendor ?? undefined}>
                            {os.name}
                        </SelectOption>)}
                    {total > shown.length &&
                        <SelectOption isDisabled value="">
                            {cockpit.format(_("$0 more: type more of the name"), total - shown.length)}
                        </SelectOption>}
                    {shown.length === 0 && !loading &&
                        <SelectOption isDisabled value="">
                            {showEol ? _("No operating system matches")
                                : _("No operating system matches; end-of-life ones are hidden")}
                        </SelectOption>}
                    <SelectOption value={GENERIC_OS} isSelected={value === GENERIC_OS}
                                  isFocused={focusedChoice === GENERIC_OS}
                                  description={_("Not in the list: generic devices, no OS-specific defaults")}>
                        {_("Generic OS")}
                    </SelectOption>
                </SelectList>
                <MenuFooter>
                    <Checkbox id="create-os-eol" className="virt-create-os-eol" label={_("Show end-of-life")}
                              isChecked={showEol} onChange={(_ev, checked) => setShowEol(checked)} />
                </MenuFooter>
            </Select>
            <FieldMessage field="os" errors={errors} warnings={warnings}
                          {...hint ? { hint } : {}} />
        </FormGroup>
    );
}
