// The boot order as a list: each bootable device with a checkbox (the VM tries it) and up/down buttons (plain
// buttons, so the keyboard moves a device as well as the mouse). Checked devices come first, in boot order.

import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { Checkbox } from "@patternfly/react-core/dist/esm/components/Checkbox/index.js";
import { ArrowDownIcon } from "@patternfly/react-icons/dist/esm/icons/arrow-down-icon.js";
import { ArrowUpIcon } from "@patternfly/react-icons/dist/esm/icons/arrow-up-icon.js";

import type { BootDevice } from "../../client/settings.ts";

const _ = cockpit.gettext;

export interface BootEntry {
    key: string;
    boots: boolean;
}

/** The entries of a VM: its boot order first, then its other devices unchecked. */
export function bootEntries(devices: BootDevice[], order: string[]): BootEntry[] {
    const rest = devices.filter(d => !order.includes(d.key)).map(d => ({ key: d.key, boots: false }));
    return [...order.map(key => ({ key, boots: true })), ...rest];
}

/** The keys to send: the checked entries, in their order. */
export function bootKeys(entries: BootEntry[]): string[] {
    return entries.filter(e => e.boots).map(e => e.key);
}

const KIND_LABELS: Record<BootDevice["kind"], string> = {
    disk: _("Disk"), cdrom: _("CD/DVD"), floppy: _("Floppy"), interface: _("Network"), hostdev: _("Host device"),
};

function move(entries: BootEntry[], from: number, to: number): BootEntry[] {
    const next = [...entries];
    const [entry] = next.splice(from, 1);
    if (entry)
        next.splice(to, 0, entry);
    return next;
}

export function BootOrderList({ devices, entries, onChange }: {
    devices: BootDevice[]; entries: BootEntry[]; onChange: (entries: BootEntry[]) => void;
}) {
    if (entries.length === 0)
        return <p>{_("This VM has no disk, network interface or host device to boot from.")}</p>;
    return (
        <ol className="virt-boot-order" id="virt-settings-boot-order">
            {entries.map((entry, i) => {
                const device = devices.find(d => d.key === entry.key);
                const label = device ? `${KIND_LABELS[device.kind]}: ${device.label}` : entry.key;
                const id = `virt-boot-${i}`;
                return (
                    <li key={entry.key} className="virt-boot-order-row" data-key={entry.key}>
                        <Checkbox id={id} label={label} isChecked={entry.boots}
                                  onChange={(_ev, boots) => onChange(entries.map(e => e.key === entry.key ? { ...e, boots } : e))} />
                        <span className="virt-boot-order-arrows">
                            <Button variant="plain" size="sm" icon={<ArrowUpIcon />} isDisabled={i === 0}
                                    className="virt-boot-up" aria-label={cockpit.format(_("Move $0 up"), label)}
                                    onClick={() => onChange(move(entries, i, i - 1))} />
                            <Button variant="plain" size="sm" icon={<ArrowDownIcon />} isDisabled={i === entries.length - 1}
                                    className="virt-boot-down" aria-label={cockpit.format(_("Move $0 down"), label)}
                                    onClick={() => onChange(move(entries, i, i + 1))} />
                        </span>
                    </li>
                );
            })}
        </ol>
    );
}
