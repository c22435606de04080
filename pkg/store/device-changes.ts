// A counter of device changes this page made: what the watch does not show (a grown disk's size lives in the
// image, not the XML) is asked again when it moves.

import { useSyncExternalStore } from "react";

import { Listeners } from "./listeners.ts";

let version = 0;
const listeners = new Listeners();

export function deviceChanged(): void {
    version++;
    listeners.notify();
}

export function useDeviceChanges(): number {
    return useSyncExternalStore(listeners.subscribe, () => version);
}
