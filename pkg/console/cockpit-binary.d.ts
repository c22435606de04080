// Binary channels and `done` (`"binary": "raw"`) in cockpit.js: data goes out as Uint8Array and arrives as Uint8Array.
// Adds these overloads to the page's declarations of the `cockpit` global (pkg/cockpit.d.ts).

declare namespace cockpit {
    interface Channel {
        send(data: Uint8Array): void;
        addEventListener(type: "message", listener: (ev: Event, data: Uint8Array) => void): void;
        /** A control message on the channel, e.g. `{ command: "done" }` (no more data from us). */
        control(options: { command?: string; [field: string]: JsonValue | undefined }): void;
    }
}
