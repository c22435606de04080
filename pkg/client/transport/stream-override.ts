// Tests set localStorage["virt:transport"] = "stream" to send every `virt1` channel through a PeerStream spawned as
// the session user (no superuser): the frame router is then exercised by the whole page, on any bridge, as root.

const TRANSPORT_KEY = "virt:transport";

export function forcedStream(): boolean {
    return window.localStorage.getItem(TRANSPORT_KEY) === "stream";
}
