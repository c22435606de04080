// Deep links: the VM page lives at ["vm", <connection>, <name>] of cockpit.location; a console on its own
// (the pop-out window) at ["console", <connection>, <name>, "graphics" | "serial"]; the create and import
// dialogs at ["create"] and ["import"], prefilled by the options source, os and name. The storage and network
// pages at ["storage"] and ["networks"]; one pool or network alone at ["storage" | "networks", <connection>, <name>].

import type { ConsoleKind } from "../console/console-channel.ts";
import { connectionFromSegment, connectionSegment } from "../connections.ts";
import type { Vm } from "../types.ts";

export type Route =
    | { page: "list" }
    | { page: "vm"; uri: string; name: string }
    | { page: "console"; uri: string; name: string; kind: ConsoleKind }
    | { page: "storage" | "networks"; focus: ResourceFocus | null }
    | { page: "create"; mode: "create" | "import"; source: string | null; os: string | null; name: string | null };

/** One pool or network of a deep link: shown alone, with its details open. */
export interface ResourceFocus { uri: string; name: string }

export function vmPath(vm: Pick<Vm, "uri" | "name">): string[] {
    return ["vm", connectionSegment(vm.uri), vm.name];
}

export function vmHref(vm: Pick<Vm, "uri" | "name">): string {
    return "#" + cockpit.location.encode(vmPath(vm));
}

function option(options: Readonly<Record<string, string | string[]>>, key: string): string | null {
    const value = options[key];
    const text = Array.isArray(value) ? value[0] : value;
    return text ? text : null;
}

export function consoleHref(vm: Pick<Vm, "uri" | "name">, kind: ConsoleKind): string {
    return "#" + cockpit.location.encode(["console", connectionSegment(vm.uri), vm.name, kind]);
}

/** The deep link to one pool (`storage`) or network (`networks`). */
export function resourceHref(page: "storage" | "networks", uri: string, name: string): string {
    return "#" + cockpit.location.encode([page, connectionSegment(uri), name]);
}

export function parseRoute(path: readonly string[], options: Readonly<Record<string, string | string[]>> = {}): Route {
    if (path.length === 3 && path[0] === "vm" && path[1] && path[2])
        return { page: "vm", uri: connectionFromSegment(path[1]), name: path[2] };
    if (path.length === 4 && path[0] === "console" && path[1] && path[2] && (path[3] === "graphics" || path[3] === "serial"))
        return { page: "console", uri: connectionFromSegment(path[1]), name: path[2], kind: path[3] };
    if (path.length === 1 && (path[0] === "storage" || path[0] === "networks"))
        return { page: path[0], focus: null };
    if (path.length === 3 && (path[0] === "storage" || path[0] === "networks") && path[1] && path[2])
        return { page: path[0], focus: { uri: connectionFromSegment(path[1]), name: path[2] } };
    if (path.length === 1 && (path[0] === "create" || path[0] === "import")) {
        return {
            page: "create", mode: path[0],
            source: option(options, "source"), os: option(options, "os"), name: option(options, "name"),
        };
    }
    return { page: "list" };
}
