// Deep links: the VM page lives at ["vm", <connection>, <name>] of cockpit.location; a console on its own
// (the pop-out window) at ["console", <connection>, <name>, "graphics" | "serial"].

import type { ConsoleKind } from "../console/console-channel.ts";
import { connectionFromSegment, connectionSegment } from "../connections.ts";
import type { Vm } from "../types.ts";

export type Route =
    | { page: "list" }
    | { page: "vm"; uri: string; name: string }
    | { page: "console"; uri: string; name: string; kind: ConsoleKind };

export function vmPath(vm: Pick<Vm, "uri" | "name">): string[] {
    return ["vm", connectionSegment(vm.uri), vm.name];
}

export function vmHref(vm: Pick<Vm, "uri" | "name">): string {
    return "#" + cockpit.location.encode(vmPath(vm));
}

export function consoleHref(vm: Pick<Vm, "uri" | "name">, kind: ConsoleKind): string {
    return "#" + cockpit.location.encode(["console", connectionSegment(vm.uri), vm.name, kind]);
}

export function parseRoute(path: readonly string[]): Route {
    if (path.length === 3 && path[0] === "vm" && path[1] && path[2])
        return { page: "vm", uri: connectionFromSegment(path[1]), name: path[2] };
    if (path.length === 4 && path[0] === "console" && path[1] && path[2] && (path[3] === "graphics" || path[3] === "serial"))
        return { page: "console", uri: connectionFromSegment(path[1]), name: path[2], kind: path[3] };
    return { page: "list" };
}
