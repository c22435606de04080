// The console devices the helper reports with each VM (docs/api.md, op `watch`), and what they allow.

import type { Vm } from "../types.ts";

import type { ConsoleKind } from "./console-channel.ts";

export interface GraphicsDevice {
    type: string;
    /** TCP port while the VM runs */
    port?: number;
    /** TCP listen address */
    listen?: string;
    /** listens on a local UNIX socket only */
    socket?: boolean;
}

interface ConsoleDevices {
    graphics?: GraphicsDevice[];
    consoles?: { type: string; target: string | null }[];
}

export function graphicsOf(vm: Vm): GraphicsDevice[] {
    return (vm as Vm & ConsoleDevices).graphics ?? [];
}

export function hasVnc(vm: Vm): boolean {
    return graphicsOf(vm).some(g => g.type === "vnc");
}

/** The console tabs to show, the one that works first. */
export function consoleKinds(vm: Vm): ConsoleKind[] {
    const kinds: ConsoleKind[] = [];
    if (graphicsOf(vm).length > 0)
        kinds.push("graphics");
    if (((vm as Vm & ConsoleDevices).consoles ?? []).length > 0)
        kinds.push("serial");
    // A display the console cannot show (SPICE) should not hide a serial console that works.
    if (!hasVnc(vm) && kinds.length === 2)
        kinds.reverse();
    return kinds;
}
