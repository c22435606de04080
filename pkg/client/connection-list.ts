// The URIs in op `connections` `list`'s close message (docs/api.md). Its own module, so that the page's first
// script (first.ts, via transport/early-watch.ts) can read the list without the rest of the client.

/** The saved URIs of a `list` close message, in the order they were added. */
export function listedUris(close: cockpit.CloseOptions): string[] {
    const list = Array.isArray(close.connections) ? close.connections : [];
    return list.flatMap(c => typeof c === "object" && c !== null && !Array.isArray(c) && typeof c.uri === "string"
        ? [c.uri] : []);
}
