// Channel control messages in cockpit.js: every control command on a channel other than ready/close (an `ack` of
// "send-acks", a `ping` cockpit.js answers itself) reaches "control" listeners. Adds the overload to the page's
// declarations of the `cockpit` global (pkg/cockpit.d.ts).

declare namespace cockpit {
    interface Channel {
        addEventListener(type: "control", listener: (ev: Event, message: CloseOptions) => void): void;
    }
}
