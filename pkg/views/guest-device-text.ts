// How the Overview card says a VM's TPM, watchdog, vsock and CPU pins, now and at the next boot.

import type { Vm, VmTpm, VmVsock, VmWatchdog } from "../types.ts";

const _ = cockpit.gettext;

/** [0, 1, 2, 5] → "0-2,5" */
export function cpusetText(cpus: number[]): string {
    const runs: [number, number][] = [];
    for (const cpu of [...cpus].sort((a, b) => a - b)) {
        const last = runs.at(-1);
        if (last && cpu === last[1] + 1)
            last[1] = cpu;
        else
            runs.push([cpu, cpu]);
    }
    return runs.map(([from, to]) => from === to ? String(from) : `${from}-${to}`).join(",");
}

/** "vCPU 0 → 0-1; emulator → 1" */
export function pinsText(vm: Vm): string {
    const parts = Object.entries(vm.vcpuPins ?? {})
            .sort(([a], [b]) => Number(a) - Number(b))
            .map(([vcpu, cpus]) => cockpit.format(_("vCPU $0 → $1"), vcpu, cpusetText(cpus)));
    if (vm.emulatorPin)
        parts.push(cockpit.format(_("emulator → $0"), cpusetText(vm.emulatorPin)));
    return parts.length > 0 ? parts.join("; ") : _("Not pinned");
}

function tpmBackendText(backend: string): string {
    switch (backend) {
    case "emulator": return _("emulated");
    case "passthrough": return _("the host's");
    case "external": return _("external");
    default: return backend;
    }
}

/** "TPM 2.0 (emulated)" */
export function tpmText(tpm: VmTpm): string {
    return tpm.version
        ? cockpit.format(_("TPM $0 ($1)"), tpm.version, tpmBackendText(tpm.backend))
        : cockpit.format(_("TPM ($0)"), tpmBackendText(tpm.backend));
}

/** "watchdog i6300esb → reset" */
export function watchdogText(watchdog: VmWatchdog): string {
    return cockpit.format(_("watchdog $0 → $1"), watchdog.model, watchdog.action);
}

/** "vsock CID 3 (automatic)" */
export function vsockText(vsock: VmVsock): string {
    if (!vsock.auto)
        return cockpit.format(_("vsock CID $0"), vsock.cid ?? "");
    return vsock.cid !== undefined ? cockpit.format(_("vsock CID $0 (automatic)"), vsock.cid) : _("vsock, automatic CID");
}

/** What a definition asks for: an automatic CID is that run's only. */
export function requestedVsock(vsock: VmVsock | undefined): VmVsock | undefined {
    return vsock?.auto ? { auto: true } : vsock;
}

export function guestDevicesText(vm: Vm): string {
    const parts = [
        vm.tpm && tpmText(vm.tpm),
        vm.watchdog && watchdogText(vm.watchdog),
        vm.vsock && vsockText(vm.vsock),
    ].filter(part => !!part);
    return parts.length > 0 ? parts.join("; ") : _("None");
}
