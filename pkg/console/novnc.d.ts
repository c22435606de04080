// Types for the part of noVNC's RFB (@novnc/novnc 1.4, core/rfb.js: plain ES modules without typings) that the
// graphical console uses. See node_modules/@novnc/novnc/docs/API.md.

declare module "@novnc/novnc/core/rfb.js" {
    /** What RFB accepts instead of a URL: a WebSocket or anything with these members. */
    export interface RawChannel {
        binaryType: string;
        protocol: string;
        readyState: number | string;
        onopen: ((ev: Event) => void) | null;
        onmessage: ((ev: { data: ArrayBuffer }) => void) | null;
        onclose: ((ev: { code: number; reason: string; wasClean: boolean }) => void) | null;
        onerror: ((ev: Event) => void) | null;
        send(data: Uint8Array): void;
        close(): void;
    }

    export interface RfbOptions {
        shared?: boolean;
        credentials?: { username?: string; password?: string; target?: string };
    }

    export default class RFB extends EventTarget {
        constructor(target: HTMLElement, urlOrChannel: string | RawChannel, options?: RfbOptions);
        scaleViewport: boolean;
        clipViewport: boolean;
        resizeSession: boolean;
        focusOnClick: boolean;
        viewOnly: boolean;
        background: string;
        disconnect(): void;
        focus(): void;
        blur(): void;
        sendCtrlAltDel(): void;
        sendKey(keysym: number, code: string | null, down?: boolean): void;
        clipboardPasteFrom(text: string): void;
    }
}
