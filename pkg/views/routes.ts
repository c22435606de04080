// Deep links: the VM page lives at ["vm", <connection>, <name>] of cockpit.location.

import { connectionFromSegment, connectionSegment } from "../connections.ts";
import type { Vm } from "../types.ts";

export type Route = { page: "list" } | { page: "vm"; uri: string; name: string };

export function vmPath(vm: Pick<Vm, "uri" | "name">): string[] {
    return ["vm", connectionSegment(vm.uri), vm.name];
}

export function vmHref(vm: Pick<Vm, "uri" | "name">): string {
    return "#" + cockpit.location.encode(vmPath(vm));
}

export function parseRoute(path: readonly string[]): Route {
    if (path.length === 3 && path[0] === "vm" && path[1] && path[2])
        return { page: "vm", uri: connectionFromSegment(path[1]), name: path[2] };
    return { page: "list" };
}
