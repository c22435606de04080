// When a console connects, and what the card says when it does not. One attempt is one mount of a viewer (its
// React key); a new attempt reconnects.
//
//   VM not running ─────────────────────────────► "stopped" (Run offered) ── VM runs again ──► new attempt
//   closed cleanly (VM stopped, or taken over) ──► new attempt after 1 s (a stopped VM answers "not running",
//                                                  a taken-over serial console "busy": no tug of war)
//   busy (serial, someone else) ─────────────────► "busy" (Take over: one attempt with force)
//   this VM has no such console ─────────────────► "unsupported" (the helper's message)
//   other failures ──────────────────────────────► "failed", retried after 2, 4 … 30 s, or at once on Reconnect

import { useCallback, useEffect, useReducer } from "react";

import { type ConsoleEnd, consoleEnd } from "./console-channel.ts";

export type ConsoleStatus = "connecting" | "connected" | "stopped" | "busy" | "unsupported" | "failed" | "ended" |
    "elsewhere";

interface State {
    status: ConsoleStatus;
    attempt: number;
    /** the next attempt takes the serial console over */
    force: boolean;
    message: string;
    /** consecutive failures, for the retry delay */
    failures: number;
}

type SessionEvent =
    { type: "vm"; active: boolean } |
    { type: "connected" } |
    { type: "closed"; end: ConsoleEnd } |
    { type: "retry"; force?: boolean } |
    { type: "elsewhere"; on: boolean };

function reduce(state: State, event: SessionEvent): State {
    const retry = (force = false): State =>
        ({ ...state, status: "connecting", attempt: state.attempt + 1, force, message: "" });
    switch (event.type) {
    case "vm":
        if (!event.active)
            return state.status === "stopped" ? state : { ...state, status: "stopped", force: false, message: "" };
        return state.status === "stopped" ? retry() : state;
    case "connected":
        return { ...state, status: "connected", force: false, failures: 0 };
    case "closed":
        switch (event.end.kind) {
        case "ended": return { ...state, status: "ended", force: false };
        case "not-running": return { ...state, status: "stopped", force: false };
        case "busy": return { ...state, status: "busy", force: false, message: event.end.message };
        case "unsupported": return { ...state, status: "unsupported", force: false, message: event.end.message };
        case "failed":
            return { ...state, status: "failed", force: false, message: event.end.message, failures: state.failures + 1 };
        }
        return state;
    case "retry":
        return state.status === "elsewhere" || state.status === "stopped" ? state : retry(event.force);
    case "elsewhere":
        return event.on ? { ...state, status: "elsewhere", force: false } : retry();
    }
}

export interface ConsoleSession {
    status: ConsoleStatus;
    /** the key of the viewer to mount, while one should be */
    attempt: number | null;
    force: boolean;
    message: string;
    onConnected: () => void;
    onClosed: (options: cockpit.CloseOptions) => void;
    reconnect: (force?: boolean) => void;
    setElsewhere: (on: boolean) => void;
}

/** `active`: the VM has a QEMU process (any state but shut off). */
export function useConsoleSession(active: boolean): ConsoleSession {
    const [state, dispatch] = useReducer(reduce, active, (isActive): State => ({
        status: isActive ? "connecting" : "stopped", attempt: 0, force: false, message: "", failures: 0,
    }));

    useEffect(() => dispatch({ type: "vm", active }), [active]);

    // A clean end: try again shortly (the VM may have just stopped: then the helper says so).
    // A failure: back off.
    const { status, failures, attempt } = state;
    useEffect(() => {
        let delay: number | null = null;
        if (status === "ended")
            delay = 1000;
        else if (status === "failed")
            delay = Math.min(30000, 1000 * 2 ** failures);
        if (delay === null)
            return;
        const timer = window.setTimeout(() => dispatch({ type: "retry" }), delay);
        return () => window.clearTimeout(timer);
    }, [status, failures, attempt]);

    const onConnected = useCallback(() => dispatch({ type: "connected" }), []);
    const onClosed = useCallback((options: cockpit.CloseOptions) => dispatch({ type: "closed", end: consoleEnd(options) }), []);
    const reconnect = useCallback((force = false) => dispatch({ type: "retry", force }), []);
    const setElsewhere = useCallback((on: boolean) => dispatch({ type: "elsewhere", on }), []);

    const mounted = state.status === "connecting" || state.status === "connected";
    return {
        status: state.status,
        attempt: mounted ? state.attempt : null,
        force: state.force,
        message: state.message,
        onConnected,
        onClosed,
        reconnect,
        setElsewhere,
    };
}
