// The serial console: xterm.js (canvas renderer) on a `console` channel (kind "serial"). Keystrokes go to the guest as UTF-8; guest
// output is written as it comes (xterm decodes UTF-8 across chunk boundaries). The terminal fits its box; a serial
// line cannot tell the guest its size, so programs there keep their own idea of rows and columns.


import { CanvasAddon } from "@xterm/addon-canvas";
import { FitAddon } from "@xterm/addon-fit";
import { Terminal } from "@xterm/xterm";
import { forwardRef, useEffect, useImperativeHandle, useRef } from "react";

import { type ConsoleTarget, finishChannel, openConsoleChannel } from "./console-channel.ts";

export interface SerialHandle {
    /** Writes `text` to the serial line, newlines as carriage returns (what Enter sends). */
    paste(text: string): void;
    /** The terminal's selection, or everything on screen and in scrollback if nothing is selected. */
    text(selectionOnly: boolean): string;
    focus(): void;
}

interface Props {
    target: ConsoleTarget;
    /** take the console over from another viewer */
    force: boolean;
    onConnected: () => void;
    onClosed: (options: cockpit.CloseOptions) => void;
}

const encoder = new TextEncoder();

function bufferText(term: Terminal): string {
    const buffer = term.buffer.active;
    const lines: string[] = [];
    for (let i = 0; i < buffer.length; i++)
        lines.push(buffer.getLine(i)?.translateToString(true) ?? "");
    while (lines.length && lines[lines.length - 1] === "")
        lines.pop();
    return lines.join("\n");
}

export const SerialViewer = forwardRef<SerialHandle, Props>(function SerialViewer({ target, force, onConnected, onClosed }, ref) {
    const boxRef = useRef<HTMLDivElement>(null);
    const termRef = useRef<Terminal | null>(null);
    const channelRef = useRef<cockpit.Channel | null>(null);
    const callbacks = useRef({ onConnected, onClosed });
    callbacks.current = { onConnected, onClosed };
    const forceRef = useRef(force);
    forceRef.current = force;

    useEffect(() => {
        const box = boxRef.current;
        if (!box)
            return;
        // The canvas measures the font itself: give it a font list, not a CSS variable.
        const mono = getComputedStyle(box).getPropertyValue("--pf-t--global--font--family--mono").trim();
        const term = new Terminal({
            cursorBlink: true,
            scrollback: 5000,
            fontFamily: mono || "monospace",
            fontSize: 14,
        });
        const fit = new FitAddon();
        term.loadAddon(fit);
        // The canvas renderer, as Cockpit's own terminal: the DOM renderer styles itself with <style> elements,
        // which Cockpit's Content-Security-Policy (no inline styles) blocks. Loaded before open(), so the DOM
        // renderer is never created.
        term.loadAddon(new CanvasAddon());
        term.open(box);
        termRef.current = term;

        const channel = openConsoleChannel(target, "serial", forceRef.current);
        channelRef.current = channel;
        let open = true;
        let ready = false;
        channel.addEventListener("ready", () => {
            ready = true;
            if (open)
                callbacks.current.onConnected();
        });
        channel.addEventListener("message", (_ev: Event, data: Uint8Array) => term.write(data.slice()));
        channel.addEventListener("close", (_ev, options) => {
            if (!open)
                return;
            open = false;
            channelRef.current = null;
            callbacks.current.onClosed(options);
        });
        const input = term.onData(data => {
            if (open)
                channel.send(encoder.encode(data));
        });

        const refit = () => {
            try {
                fit.fit();
            } catch {
                // not laid out (hidden tab): fit again when it is
            }
        };
        const observer = new ResizeObserver(refit);
        observer.observe(box);
        refit();
        // A web font that loads later changes the cell size: measure again then.
        document.fonts.ready.then(() => {
            if (termRef.current === term) {
                term.options.fontFamily = mono || "monospace";
                refit();
            }
        }, () => {});

        return () => {
            observer.disconnect();
            input.dispose();
            if (open) {
                open = false;
                if (ready)
                    finishChannel(channel);
                else
                    channel.close();
            }
            channelRef.current = null;
            termRef.current = null;
            term.dispose();
        };
    }, [target]);

    useImperativeHandle(ref, () => ({
        paste(text) {
            const data = text.replace(/\r?\n/g, "\r");
            if (data)
                channelRef.current?.send(encoder.encode(data));
            termRef.current?.focus();
        },
        text(selectionOnly) {
            const term = termRef.current;
            if (!term)
                return "";
            if (term.hasSelection())
                return term.getSelection();
            return selectionOnly ? "" : bufferText(term);
        },
        focus() {
            termRef.current?.focus();
        },
    }), []);

    return <div className="virt-console-serial" ref={boxRef} />;
});
