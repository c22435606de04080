// Human text for VM fields.

import type { VmState } from "./types.ts";

const _ = cockpit.gettext;

export function stateLabel(state: VmState): string {
    switch (state) {
    case "running": return _("Running");
    case "blocked": return _("Blocked");
    case "paused": return _("Paused");
    case "shutdown": return _("Shutting down");
    case "shutoff": return _("Shut off");
    case "crashed": return _("Crashed");
    case "pmsuspended": return _("Suspended");
    case "nostate": return _("Unknown");
    }
    return state;
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/** Binary units with at most one decimal that matters: 134217728 → "128 MiB", 1610612736 → "1.5 GiB". */
export function formatBytes(bytes: number): string {
    if (!Number.isFinite(bytes) || bytes < 0)
        return "–";
    let value = bytes;
    let unit = 0;
    while (value >= 1024 && unit < UNITS.length - 1) {
        value /= 1024;
        unit++;
    }
    const text = value >= 100 || Number.isInteger(value) ? String(Math.round(value)) : value.toFixed(1).replace(/\.0$/, "");
    return `${text} ${UNITS[unit]}`;
}

export function yesNo(value: boolean): string {
    return value ? _("Yes") : _("No");
}

/** 0.04 → "0 %", 7.25 → "7.3 %", 42.6 → "43 %": one decimal below 10. */
export function formatPercent(value: number): string {
    if (!Number.isFinite(value))
        return "–";
    const text = value < 10 ? value.toFixed(1).replace(/\.0$/, "") : String(Math.round(value));
    return cockpit.format(_("$0 %"), text);
}

/** Bytes per second in binary units: 0 → "0 B/s", 1536 → "1.5 KiB/s". */
export function formatRate(bytesPerSecond: number): string {
    return cockpit.format(_("$0/s"), formatBytes(bytesPerSecond));
}
