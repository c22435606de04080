// fetchHistory: one `virt1` `history` channel (docs/api.md): the helper's usage history of one VM, then close.

import type { UsageSeries } from "../types.ts";

import { openOneShot } from "./one-shot.ts";

export interface UsageHistory {
    /** seconds between points */
    interval: number;
    series: UsageSeries;
}

const COLUMNS = ["time", "cpu", "memoryUsed", "diskRead", "diskWrite", "netRx", "netTx"] as const;

function emptySeries(): UsageSeries {
    return { time: [], cpu: [], memoryUsed: [], diskRead: [], diskWrite: [], netRx: [], netTx: [] };
}

/** Columns of numbers of equal length, or null when the message does not have that shape. */
function parseSeries(value: unknown): UsageSeries | null {
    if (typeof value !== "object" || value === null)
        return null;
    const record = value as Record<string, unknown>;
    const series = emptySeries();
    for (const column of COLUMNS) {
        const values = record[column];
        if (!Array.isArray(values) || !values.every(v => typeof v === "number"))
            return null;
        series[column] = values;
    }
    return COLUMNS.every(c => series[c].length === series.time.length) ? series : null;
}

/**
 * The usage history of VM `vmId` (UUID) on `uri`. Rejects with the channel's problem (an OpError); `signal` closes
 * the channel early (the promise then never settles).
 */
export async function fetchHistory(uri: string, vmId: string, signal?: AbortSignal): Promise<UsageHistory> {
    const shot = openOneShot({ op: "history", uri, vm: vmId });
    signal?.addEventListener("abort", () => { shot.close().catch(() => {}) });
    const { messages } = await shot.done;
    for (const message of messages) {
        const series = parseSeries(message.series);
        if (series)
            return { interval: typeof message.interval === "number" ? message.interval : 5, series };
        console.warn("virt1 history: ignoring a message without series:", message);
    }
    return { interval: 5, series: emptySeries() };
}
