// The life of the page's per-connection clients (VM watch, pools and networks): opened once the transport knows
// the user and the shell's privilege state, closed while the page is hidden, started over on the other transport
// when Administrative access changes the route of their connection.

import { transport } from "../client/transport/channels.ts";

export interface ConnectionClient {
    readonly uri: string;
    start(): void;
    stop(): void;
    /** Drops what it showed and starts again (on the route now in force). */
    restart(): void;
}

/**
 * Follows visibility and privilege for `clients`; returns the function that stops them. `onStarted` runs once,
 * after the clients were first started (or left stopped: the page is hidden).
 *
 * Only the local system connection's route depends on the user and the shell's privilege state: the other clients
 * start at once rather than wait for those answers (a round trip through the shell and the bridge each).
 */
export function followClients(clients: readonly ConnectionClient[], onStarted?: () => void): () => void {
    let following = clients.filter(client => !transport.followsPrivilege(client.uri));
    const follow = () => {
        for (const client of following) {
            if (cockpit.hidden)
                client.stop();
            else
                client.start();
        }
    };
    let stopped = false;
    let stopFollowingRoute: () => void = () => undefined;
    cockpit.addEventListener("visibilitychange", follow);
    follow();
    void transport.ready().finally(() => {
        if (stopped)
            return;
        stopFollowingRoute = transport.on("route", () => {
            for (const client of clients) {
                if (transport.followsPrivilege(client.uri))
                    client.restart();
            }
        });
        following = [...clients];
        follow();
        onStarted?.();
    });
    return () => {
        stopped = true;
        stopFollowingRoute();
        cockpit.removeEventListener("visibilitychange", follow);
        for (const client of clients)
            client.stop();
    };
}
