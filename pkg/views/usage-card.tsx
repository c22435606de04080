// The VM page's usage graphs: CPU, memory, disk and network over the last hour (use-usage-history.ts).

import { Card, CardBody, CardTitle } from "@patternfly/react-core/dist/esm/components/Card/index.js";

import { formatBytes, formatPercent, formatRate } from "../format.ts";
import { useUsage } from "../store/hooks.ts";
import { type Vm, isActive, vmKey } from "../types.ts";

import { LineChart } from "./line-chart.tsx";
import { memoryOf } from "./usage-cells.tsx";
import { useUsageHistory } from "./use-usage-history.ts";

const _ = cockpit.gettext;

const BINARY_STEPS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

export function UsageCard({ vm }: { vm: Vm }) {
    const key = vmKey(vm.uri, vm.id);
    const { series, interval, loaded, error } = useUsageHistory(vm.uri, vm.id, key);
    const entry = useUsage(key);
    const usage = isActive(vm.state) ? entry?.usage : undefined;
    const memory = usage ? memoryOf(usage, vm) : null;
    const memoryTotal = memory?.total ?? vm.memory;
    const assigned = memory?.assigned ?? false;
    const empty = series.time.length === 0;

    let note = null;
    if (error)
        note = cockpit.format(_("The usage history is not available: $0"), error);
    else if (empty && loaded)
        note = isActive(vm.state) ? _("Collecting usage…") : _("No usage recorded while the page was watching: the VM is not running.");

    return (
        <Card className="virt-card-usage" data-history-loaded={loaded ? "true" : "false"}>
            <CardTitle component="h2">{_("Usage")}</CardTitle>
            <CardBody>
                {note && <p className="virt-muted virt-usage-note">{note}</p>}
                <div className="virt-charts">
                    <LineChart title={_("CPU")} time={series.time} interval={interval}
                               series={[{ label: _("CPU"), values: series.cpu }]} max={100} format={formatPercent} />
                    <LineChart title={_("Memory")} time={series.time} interval={interval}
                               series={[{ label: assigned ? _("Assigned") : _("Used"), values: series.memoryUsed }]}
                               {...memoryTotal > 0 ? { max: memoryTotal } : {}} format={formatBytes} />
                    <LineChart title={_("Disk I/O")} time={series.time} interval={interval}
                               series={[{ label: _("Read"), values: series.diskRead },
                                        { label: _("Write"), values: series.diskWrite }]}
                               minMax={1024} steps={BINARY_STEPS} base={1024} format={formatRate} />
                    <LineChart title={_("Network")} time={series.time} interval={interval}
                               series={[{ label: _("Received"), values: series.netRx },
                                        { label: _("Sent"), values: series.netTx }]}
                               minMax={1024} steps={BINARY_STEPS} base={1024} format={formatRate} />
                </div>
            </CardBody>
        </Card>
    );
}
