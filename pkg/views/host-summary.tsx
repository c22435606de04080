// Above the list: how many VMs run, and the host's CPU and memory in use (from the watch's ticks). It subscribes
// to the hosts and the running count itself, so a tick re-renders this strip, not the list.

import type React from "react";

import { formatBytes, formatPercent } from "../format.ts";
import { useHosts, useRunningCount } from "../store/hooks.ts";
import type { HostUsage } from "../types.ts";

const _ = cockpit.gettext;

/** The machine a connection URI is on: "" for this one (qemu:///system, qemu:///session, test:///…). */
function machineOf(uri: string): string {
    try {
        return new URL(uri).hostname;
    } catch {
        return "";
    }
}

function Meter({ percent, label }: { percent: number; label: string }) {
    const value = Math.min(Math.max(percent, 0), 100);
    return (
        <div className="virt-meter" role="meter" aria-label={label} aria-valuemin={0} aria-valuemax={100}
             aria-valuenow={Math.round(value)}>
            <div className="virt-meter-bar" style={{ inlineSize: `${value}%` }} />
        </div>
    );
}

function Stat({ label, children, stat }: { label: string; children: React.ReactNode; stat: string }) {
    return (
        <div className="virt-stat" data-stat={stat}>
            <div className="virt-stat-label">{label}</div>
            <div className="virt-stat-value">{children}</div>
        </div>
    );
}

function HostStats({ machine, host }: { machine: string; host: HostUsage }) {
    const memoryPercent = host.memoryTotal > 0 ? host.memoryUsed / host.memoryTotal * 100 : 0;
    const cpuLabel = machine ? cockpit.format(_("CPU of $0"), machine) : _("Host CPU");
    const memoryLabel = machine ? cockpit.format(_("Memory of $0"), machine) : _("Host memory");
    return (
        <>
            <Stat label={cpuLabel} stat="host-cpu">
                <span className="virt-stat-number">{formatPercent(host.cpu)}</span>{" "}
                <span className="virt-muted">
                    {cockpit.format(cockpit.ngettext("of $0 CPU", "of $0 CPUs", host.cpus), host.cpus)}
                </span>
                <Meter percent={host.cpu} label={cpuLabel} />
            </Stat>
            <Stat label={memoryLabel} stat="host-memory">
                <span className="virt-stat-number">{formatBytes(host.memoryUsed)}</span>{" "}
                <span className="virt-muted">{cockpit.format(_("of $0"), formatBytes(host.memoryTotal))}</span>
                <Meter percent={memoryPercent} label={memoryLabel} />
            </Stat>
        </>
    );
}

/** With `hostStats` false (several connections: the hosts panel has each one's) only the running count shows. */
export function HostSummary({ total, hostStats = true }: { total: number; hostStats?: boolean }) {
    const running = useRunningCount();
    const hosts = useHosts();
    // qemu:///system and qemu:///session are the same machine: show each machine once.
    const machines = new Map<string, HostUsage>();
    for (const { uri, host } of hostStats ? hosts : []) {
        const machine = machineOf(uri);
        if (!machines.has(machine))
            machines.set(machine, host);
    }
    if (total === 0 && machines.size === 0)
        return null; // the empty state says it all

    return (
        <section className="virt-host-summary" aria-label={_("Host summary")}>
            <Stat label={_("Running VMs")} stat="running">
                <span className="virt-stat-number">{running}</span>{" "}
                <span className="virt-muted">{cockpit.format(_("of $0"), total)}</span>
            </Stat>
            {[...machines].map(([machine, host]) => <HostStats key={machine} machine={machine} host={host} />)}
        </section>
    );
}
