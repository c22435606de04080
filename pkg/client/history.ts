// fetchHistory: one `virt1` `history` channel (docs/api.md): the helper's usage history of one VM, then close.

import type { UsageSeries } from "../types.ts";

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
 * The usage history of VM `vmId` (UUID) on `uri`. Rejects with the channel's problem; `signal` closes the channel
 * early (the promise then never settles).
 */
export function fetchHistory(uri: string, vmId: string, signal?: AbortSignal): Promise<UsageHistory> {
    return new Promise((resolve, reject) => {
        const channel = cockpit.channel({ payload: "virt1", op: "history", uri, vm: vmId });
        let result: UsageHistory | null = null;
        signal?.addEventListener("abort", () => channel.close());
        channel.addEventListener("message", (_ev, data) => {
            try {
                const parsed = JSON.parse(data) as Record<string, unknown> | null;
                const series = parseSeries(parsed?.series);
                if (series)
                    result = { interval: typeof parsed?.interval === "number" ? parsed.interval : 5, series };
                else
                    console.warn("virt1 history: ignoring a message without series:", data);
            } catch {
                console.warn("virt1 history: ignoring a message that is not JSON:", data);
            }
        });
        channel.addEventListener("close", (_ev, options) => {
            if (signal?.aborted)
                return;
            if (options.problem)
                reject(new Error(options.message ?? cockpit.message(options.problem)));
            else
                resolve(result ?? { interval: 5, series: emptySeries() });
        });
    });
}
