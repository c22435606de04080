// Rows of a host the page lost touch with: their last known state stays, marked "Host unreachable", until that
// connection's watch resyncs (a fresh snapshot replaces them). Other hosts' rows are untouched.

import { useSyncExternalStore } from "react";

import { vmStore } from "../store/vm-store.ts";
import type { ConnectionStatus } from "../types.ts";

import { PlainLabel } from "./plain-label.tsx";

const _ = cockpit.gettext;

/** True while the connection of `uri` is lost (reconnecting, unreachable, refused, or its channel failed). */
export function useConnectionLost(uri: string): boolean {
    return useSyncExternalStore(vmStore.connectionListeners.subscribe,
                                () => isLost(vmStore.getConnections().find(c => c.uri === uri)));
}

function isLost(status: ConnectionStatus | undefined): boolean {
    return status !== undefined && (status.state === "reconnecting" || status.state === "unreachable" ||
        status.state === "access-denied" || status.state === "failed");
}

export function HostUnreachableLabel({ isCompact = false }: { isCompact?: boolean }) {
    return <PlainLabel color="orange" isCompact={isCompact} className="virt-host-unreachable">{_("Host unreachable")}</PlainLabel>;
}
