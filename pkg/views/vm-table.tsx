// The VM table, virtualized: only the rows in view (plus overscan) are in the DOM; spacer rows stand in for the
// rest. Rows have a fixed height (page.css), a failure alert under a row adds a fixed height too.

import { Table, Tbody, Th, Thead, Tr } from "@patternfly/react-table/dist/esm/components/Table/index.js";
import { useMemo, useRef } from "react";

import { useFailedKeys } from "../store/hooks.ts";

import type { SortColumn, SortSpec } from "./list-order.ts";
import { useWindow } from "./use-window.ts";
import { COLUMN_COUNT, VmRow } from "./vm-row.tsx";

const _ = cockpit.gettext;

// Keep in sync with page.css (.virt-vm-row, .virt-vm-failure-row).
export const ROW_HEIGHT = 49;
export const FAILURE_ROW_HEIGHT = 49;

// Columns hide as the screen narrows (page.css), rather than rows growing: virt-col-config (the configured vCPUs
// and memory; the VM page has them) first, then virt-col-io (disk and network rates), then virt-col-wide (memory;
// a phone keeps name, connection, state and CPU).
// Sorting by a usage column (CPU … Network) follows the live numbers, once per tick.
// The Host column (the connection, sorted as "connection") shows only when the list has several connections.
const COLUMNS: readonly { column: SortColumn; title: string; width?: 20; className?: string; wrap?: true }[] = [
    { column: "name", title: _("Name"), width: 20, className: "virt-cell-name" },
    { column: "connection", title: _("Host"), className: "virt-cell-connection" },
    { column: "state", title: _("State") },
    { column: "vcpus", title: _("vCPUs"), className: "virt-col-wide virt-col-config" },
    { column: "memory", title: _("Memory"), className: "virt-col-wide virt-col-config" },
    { column: "cpu", title: _("CPU"), className: "virt-cell-usage" },
    { column: "memoryUsed", title: _("Memory use"), className: "virt-cell-usage virt-col-wide", wrap: true },
    { column: "disk", title: _("Disk"), className: "virt-cell-usage virt-col-io" },
    { column: "net", title: _("Network"), className: "virt-cell-usage virt-col-io" },
];

interface Props {
    keys: readonly string[];
    sort: SortSpec;
    onSort: (sort: SortSpec) => void;
    /** the Host column (several connections) */
    showHost: boolean;
}

export function VmTable({ keys, sort, onSort, showHost }: Props) {
    const scrollRef = useRef<HTMLDivElement>(null);
    const failed = useFailedKeys();
    const heights = useMemo(
        () => keys.map(key => ROW_HEIGHT + (failed.has(key) ? FAILURE_ROW_HEIGHT : 0)), [keys, failed]);
    const { start, end, before, after } = useWindow(scrollRef, heights);
    const sortIndex = COLUMNS.findIndex(c => c.column === sort.column);

    return (
        <div className="virt-table-scroll" ref={scrollRef} tabIndex={-1}>
            {/* role="table": PatternFly defaults to "grid", which promises arrow-key cell navigation */}
            {/* gridBreakPoint "": no card layout on small screens, rows keep their fixed height */}
            <Table aria-label={_("Virtual machines")} variant="compact" isStickyHeader role="table" gridBreakPoint=""
                   aria-rowcount={keys.length + 1} className="virt-vm-table">
                <Thead>
                    <Tr aria-rowindex={1}>
                        {COLUMNS.map((c, columnIndex) => (c.column === "connection" && !showHost) ? null :
                            <Th key={c.column} {...c.width ? { width: c.width } : { modifier: c.wrap ? "wrap" : "nowrap" }}
                                data-sort-column={c.column}
                                {...c.className ? { className: c.className } : {}}
                                sort={{
                                    columnIndex,
                                    sortBy: { index: sortIndex, direction: sort.direction },
                                    onSort: (_ev, _index, direction) => onSort({ column: c.column, direction }),
                                }}>
                                {c.title}
                            </Th>)}
                        <Th screenReaderText={_("Actions")} />
                    </Tr>
                </Thead>
                <Tbody>
                    {before > 0 && <tr className="virt-spacer" aria-hidden="true" style={{ height: before }}><td colSpan={COLUMN_COUNT} /></tr>}
                    {keys.slice(start, end).map((key, i) => <VmRow key={key} vmKey={key} rowIndex={start + i + 2} showHost={showHost} />)}
                    {after > 0 && <tr className="virt-spacer" aria-hidden="true" style={{ height: after }}><td colSpan={COLUMN_COUNT} /></tr>}
                </Tbody>
            </Table>
        </div>
    );
}
