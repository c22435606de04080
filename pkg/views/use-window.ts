// Windowing for long lists: which items of a scroll container are in view (plus some overscan), given each
// item's height. Heights are fixed per item (rows have a fixed height in CSS), so no measuring is needed.

import { type RefObject, useEffect, useMemo, useState } from "react";

const OVERSCAN_PX = 600;

export interface WindowRange {
    start: number; // first item to render
    end: number; // one past the last item to render
    before: number; // height of the items above `start`
    after: number; // height of the items from `end` on
}

/** offsets[i] = top of item i; offsets[n] = total height. */
function prefixSums(heights: readonly number[]): number[] {
    const offsets = new Array<number>(heights.length + 1);
    offsets[0] = 0;
    for (let i = 0; i < heights.length; i++)
        offsets[i + 1] = (offsets[i] ?? 0) + (heights[i] ?? 0);
    return offsets;
}

/** The index of the item that contains `y` (binary search over offsets). */
function indexAt(offsets: readonly number[], y: number): number {
    let lo = 0;
    let hi = offsets.length - 2;
    while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if ((offsets[mid] ?? 0) <= y)
            lo = mid;
        else
            hi = mid - 1;
    }
    return Math.max(lo, 0);
}

export function useWindow(scrollRef: RefObject<HTMLElement | null>, heights: readonly number[]): WindowRange {
    const [view, setView] = useState({ top: 0, height: 0 });

    useEffect(() => {
        const el = scrollRef.current;
        if (!el)
            return;
        let frame = 0;
        const update = () => {
            frame = 0;
            setView(old => old.top === el.scrollTop && old.height === el.clientHeight
                ? old
                : { top: el.scrollTop, height: el.clientHeight });
        };
        const schedule = () => {
            if (!frame)
                frame = window.requestAnimationFrame(update);
        };
        update();
        el.addEventListener("scroll", schedule, { passive: true });
        const observer = new ResizeObserver(schedule);
        observer.observe(el);
        return () => {
            el.removeEventListener("scroll", schedule);
            observer.disconnect();
            if (frame)
                window.cancelAnimationFrame(frame);
        };
    }, [scrollRef]);

    const offsets = useMemo(() => prefixSums(heights), [heights]);

    const total = offsets[heights.length] ?? 0;
    if (heights.length === 0)
        return { start: 0, end: 0, before: 0, after: 0 };
    // Before the first measurement, render one screenful rather than nothing, and no more: the first rows on
    // screen wait for every row rendered with them, and the overscan follows right after that first paint. A frame
    // the shell has not shown yet has no height at all: then the screen's stands in for it.
    const height = view.height || window.innerHeight || window.screen.availHeight;
    const overscan = view.height ? OVERSCAN_PX : 0;
    const start = indexAt(offsets, Math.max(view.top - overscan, 0));
    const end = Math.min(indexAt(offsets, view.top + height + overscan) + 1, heights.length);
    const before = offsets[start] ?? 0;
    return { start, end, before, after: total - (offsets[end] ?? total) };
}
