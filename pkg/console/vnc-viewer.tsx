// The graphical console: noVNC's RFB on a `console` channel (kind "graphics"). One viewer per mount: the card
// remounts it (new key) to reconnect.

import RFB from "@novnc/novnc/core/rfb.js";
import { forwardRef, useEffect, useImperativeHandle, useRef } from "react";

import { ChannelSocket, type ConsoleTarget, openConsoleChannel } from "./console-channel.ts";
import { type KeyStroke, textToKeys } from "./keys.ts";

export interface VncHandle {
    sendKeys(keys: readonly KeyStroke[]): void;
    /** Types `text` as keystrokes (a US keyboard layout is assumed for what needs Shift). */
    typeText(text: string): void;
    focus(): void;
}

interface Props {
    target: ConsoleTarget;
    /** scale the display to the box (true) or show it 1:1 with scrollbars */
    scale: boolean;
    onConnected: () => void;
    /** the channel closed: its close message */
    onClosed: (options: cockpit.CloseOptions) => void;
}

export const VncViewer = forwardRef<VncHandle, Props>(function VncViewer({ target, scale, onConnected, onClosed }, ref) {
    const screenRef = useRef<HTMLDivElement>(null);
    const rfbRef = useRef<RFB | null>(null);
    // Latest callbacks without reconnecting when the parent re-renders.
    const callbacks = useRef({ onConnected, onClosed });
    callbacks.current = { onConnected, onClosed };
    const scaleRef = useRef(scale);
    scaleRef.current = scale;

    useEffect(() => {
        const screen = screenRef.current;
        if (!screen)
            return;
        const socket = new ChannelSocket(openConsoleChannel(target, "graphics"));
        const rfb = new RFB(screen, socket, { shared: true });
        rfb.scaleViewport = scaleRef.current;
        rfb.background = "transparent";
        rfbRef.current = rfb;
        let closed = false;
        rfb.addEventListener("connect", () => callbacks.current.onConnected());
        rfb.addEventListener("disconnect", () => {
            if (closed)
                return;
            closed = true;
            callbacks.current.onClosed(socket.closeOptions ?? { problem: "disconnected" });
        });
        return () => {
            closed = true;
            rfbRef.current = null;
            rfb.disconnect();
        };
    }, [target]);

    useEffect(() => {
        if (rfbRef.current)
            rfbRef.current.scaleViewport = scale;
    }, [scale]);

    useImperativeHandle(ref, () => ({
        sendKeys(keys) {
            const rfb = rfbRef.current;
            if (!rfb)
                return;
            for (const key of keys)
                rfb.sendKey(key.keysym, key.code, key.down);
            rfb.focus();
        },
        typeText(text) {
            this.sendKeys(textToKeys(text));
        },
        focus() {
            rfbRef.current?.focus();
        },
    }), []);

    return <div className="virt-console-vnc" ref={screenRef} data-scale={scale ? "fit" : "1:1"} />;
});
