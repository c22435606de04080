// The usage history of one VM for its page: the helper's history (op `history`) when the page opens, then one
// point per tick of its connection from the usage store (an unchanged VM repeats its numbers: the helper does not
// send it again, but its graph goes on).

import { useEffect, useState } from "react";

import { fetchHistory } from "../client/history.ts";
import { usageStore } from "../store/usage-store.ts";
import type { UsageSeries } from "../types.ts";

/** How far back the graphs go. */
export const HISTORY_SECONDS = 3600;

export interface HistoryState {
    series: UsageSeries;
    /** seconds between points */
    interval: number;
    /** the helper's history has arrived (or failed) */
    loaded: boolean;
    error: string | null;
    /** the tick of the last live point (-1: none): a tick split over several messages updates it in place */
    lastTick: number;
}

const COLUMNS = ["time", "cpu", "memoryUsed", "diskRead", "diskWrite", "netRx", "netTx"] as const;
type Point = Record<(typeof COLUMNS)[number], number>;

function emptySeries(): UsageSeries {
    return { time: [], cpu: [], memoryUsed: [], diskRead: [], diskWrite: [], netRx: [], netTx: [] };
}

/** `series` with `point` appended (or replacing the last point), without points older than HISTORY_SECONDS. */
function withPoint(series: UsageSeries, point: Point, replaceLast: boolean): UsageSeries {
    const cut = point.time - HISTORY_SECONDS;
    let from = 0;
    while (from < series.time.length && (series.time[from] ?? 0) < cut)
        from++;
    const end = replaceLast ? Math.max(series.time.length - 1, from) : series.time.length;
    const next = emptySeries();
    for (const column of COLUMNS)
        next[column] = [...series[column].slice(from, end), point[column]];
    return next;
}

/** The helper's history followed by the live points that are newer than its last one. */
function merged(history: UsageSeries, live: UsageSeries, interval: number): UsageSeries {
    const last = history.time.at(-1) ?? -Infinity;
    let from = live.time.findIndex(t => t > last + interval / 2);
    if (from < 0)
        from = live.time.length;
    const cut = (live.time.at(-1) ?? last) - HISTORY_SECONDS;
    let start = 0;
    while (start < history.time.length && (history.time[start] ?? 0) < cut)
        start++;
    const next = emptySeries();
    for (const column of COLUMNS)
        next[column] = [...history[column].slice(start), ...live[column].slice(from)];
    return next;
}

export function useUsageHistory(uri: string, vmId: string, key: string): HistoryState {
    const [state, setState] = useState<HistoryState>(() => ({
        series: emptySeries(), interval: usageStore.getTick(uri)?.interval ?? 5, loaded: false, error: null,
        lastTick: -1,
    }));

    useEffect(() => {
        const abort = new AbortController();

        const onTick = () => {
            const tick = usageStore.getTick(uri);
            const entry = usageStore.get(key);
            if (!tick || !entry?.usage.responding)
                return;
            const { usage } = entry;
            const point: Point = {
                time: tick.time / 1000, cpu: usage.cpu, memoryUsed: usage.memoryUsed, diskRead: usage.diskRead,
                diskWrite: usage.diskWrite, netRx: usage.netRx, netTx: usage.netTx,
            };
            setState(s => {
                const replace = s.lastTick === tick.tick;
                if (replace)
                    point.time = s.series.time.at(-1) ?? point.time; // the same tick: same time
                return { ...s, series: withPoint(s.series, point, replace), interval: tick.interval, lastTick: tick.tick };
            });
        };
        const unsubscribe = usageStore.tickListeners.subscribe(uri, onTick);

        fetchHistory(uri, vmId, abort.signal).then(
            history => setState(s => ({
                ...s,
                series: merged(history.series, s.series, history.interval),
                interval: history.interval,
                loaded: true,
            })),
            (ex: unknown) => setState(s => ({ ...s, loaded: true, error: ex instanceof Error ? ex.message : String(ex) })));

        return () => {
            abort.abort();
            unsubscribe();
        };
    }, [uri, vmId, key]);

    return state;
}
