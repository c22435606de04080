// A small SVG line chart over time: one or two series, a y axis from 0 to a round maximum, times along the bottom.
// The lines are an SVG stretched to its box (non-scaling strokes); the labels are HTML around it, so nothing
// needs measuring. Colours are PatternFly tokens (page.css), so the dark theme works.

const _ = cockpit.gettext;

export interface ChartSeries {
    label: string;
    values: readonly number[];
}

interface Props {
    title: string;
    time: readonly number[];
    series: readonly ChartSeries[];
    /** a fixed top of the y axis (CPU: 100); otherwise a round number above the largest value */
    max?: number;
    /** the smallest top of the y axis when `max` is not given */
    minMax?: number;
    /** round tops for the y axis, ascending (one decade of them; scaled by `base`) */
    steps?: readonly number[];
    base?: number;
    format: (value: number) => string;
    /** seconds between points: a longer pause breaks the line */
    interval: number;
}

const PLOT_WIDTH = 1000;
const PLOT_HEIGHT = 100;
const MIN_SPAN = 60;

/** The smallest of steps × base^k that is ≥ value. */
function roundUp(value: number, steps: readonly number[], base: number): number {
    let scale = 1;
    for (;;) {
        for (const step of steps) {
            if (step * scale >= value)
                return step * scale;
        }
        scale *= base;
    }
}

const timeFormat = new Intl.DateTimeFormat(cockpit.language, { hour: "numeric", minute: "2-digit" });
const secondsFormat = new Intl.DateTimeFormat(cockpit.language, { hour: "numeric", minute: "2-digit", second: "2-digit" });

/** An SVG path through the points, broken where points are further apart than a few intervals. */
function pathOf(time: readonly number[], values: readonly number[], x: (t: number) => number,
                y: (v: number) => number, gap: number): string {
    const parts: string[] = [];
    let previous = -Infinity;
    for (let i = 0; i < time.length; i++) {
        const t = time[i] ?? 0;
        const command = t - previous > gap ? "M" : "L";
        parts.push(`${command}${x(t).toFixed(1)} ${y(values[i] ?? 0).toFixed(2)}`);
        // A point alone (first, or after a gap) shows as a dot: a zero-length segment with round caps.
        const next = time[i + 1];
        if (command === "M" && (next === undefined || next - t > gap))
            parts.push("h0");
        previous = t;
    }
    return parts.join(" ");
}

export function LineChart({ title, time, series, max, minMax = 1, steps = [1, 2, 5], base = 10, format, interval }: Props) {
    const last = time.at(-1) ?? 0;
    const first = time[0] ?? last;
    const span = Math.max(last - first, MIN_SPAN);
    const start = last - span;
    const largest = Math.max(minMax, ...series.flatMap(s => s.values));
    const top = max ?? roundUp(largest, steps, base);
    const x = (t: number) => (t - start) / span * PLOT_WIDTH;
    const y = (v: number) => PLOT_HEIGHT - Math.min(Math.max(v / top, 0), 1) * PLOT_HEIGHT;
    const timeText = span < 600 ? secondsFormat : timeFormat;

    return (
        <figure className="virt-chart" data-points={time.length} aria-label={title}>
            <figcaption className="virt-chart-caption">
                <span className="virt-chart-title">{title}</span>
                {series.map((s, i) => {
                    const current = s.values.at(-1);
                    return (
                        <span key={s.label} className={`virt-chart-legend virt-series-${i}`}>
                            <span className="virt-chart-swatch" aria-hidden="true" />
                            {series.length > 1 && <span className="virt-muted">{s.label} </span>}
                            <span className="virt-chart-current">{current === undefined ? "—" : format(current)}</span>
                        </span>
                    );
                })}
            </figcaption>
            <div className="virt-chart-body">
                <div className="virt-chart-y" aria-hidden="true">
                    <span>{format(top)}</span>
                    <span>{format(top / 2)}</span>
                    <span>{format(0)}</span>
                </div>
                <svg className="virt-chart-plot" viewBox={`0 0 ${PLOT_WIDTH} ${PLOT_HEIGHT}`} preserveAspectRatio="none"
                     role="img" aria-label={time.length > 0
                         ? cockpit.format(_("$0 over the last $1 minutes"), title, Math.round(span / 60))
                         : cockpit.format(_("$0: no data yet"), title)}>
                    {[0, 0.5, 1].map(f =>
                        <line key={f} className="virt-chart-grid" x1={0} x2={PLOT_WIDTH} y1={f * PLOT_HEIGHT}
                              y2={f * PLOT_HEIGHT} vectorEffect="non-scaling-stroke" />)}
                    {series.map((s, i) =>
                        <path key={s.label} className={`virt-chart-line virt-series-${i}`}
                              d={pathOf(time, s.values, x, y, interval * 3)} vectorEffect="non-scaling-stroke" />)}
                </svg>
                <div className="virt-chart-x" aria-hidden="true">
                    {time.length > 0 && <>
                        <span>{timeText.format(start * 1000)}</span>
                        <span>{timeText.format((start + span / 2) * 1000)}</span>
                        <span>{timeText.format(last * 1000)}</span>
                    </>}
                </div>
            </div>
        </figure>
    );
}
