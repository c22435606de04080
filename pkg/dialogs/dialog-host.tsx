// One dialog at a time, opened from anywhere: `openDialog(done => <MyDialog onDone={done} />)` resolves with
// what the dialog passes to `done`. <DialogHost /> (in app.tsx) renders it.

import type React from "react";
import { useSyncExternalStore } from "react";

import { Listeners } from "../store/listeners.ts";

let current: React.ReactElement | null = null;
const listeners = new Listeners();

export function openDialog<T>(render: (done: (result: T) => void) => React.ReactElement): Promise<T> {
    return new Promise(resolve => {
        let finished = false;
        const done = (result: T) => {
            if (finished)
                return;
            finished = true;
            current = null;
            listeners.notify();
            resolve(result);
        };
        current = render(done);
        listeners.notify();
    });
}

export const DialogHost = () => useSyncExternalStore(listeners.subscribe, () => current);
