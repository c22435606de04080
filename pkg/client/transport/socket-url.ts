// The URL of cockpit-ws's WebSocket for this page, worked out as cockpit.js's transport does, because the page's
// first script (pkg/first.ts) opens its own socket before cockpit.js has even arrived. tests/browser/shell.test.mjs
// checks it against cockpit.transport.uri("socket").

/** A URL root cockpit-ws was configured with (UrlRoot): the page's meta tag, else what the shell stored. */
function urlRoot(): string | null {
    const meta = document.head.querySelector("meta[name='url-root']");
    if (meta instanceof HTMLMetaElement)
        return meta.content.replace(/^\/+|\/+$/g, "");
    try {
        return window.localStorage.getItem("url-root");
    } catch {
        return null;
    }
}

/** The application the page belongs to: "cockpit", or "cockpit+NAME" for a login to another host (`/=NAME/…`). */
function application(root: string | null): string {
    let pathname = window.location.pathname || "/";
    if (root && pathname.startsWith(`/${root}`))
        pathname = pathname.replace(`/${root}`, "") || "/";
    if (!pathname.startsWith("/cockpit/") && !pathname.startsWith("/cockpit+"))
        pathname = pathname.startsWith("/=") ? `/cockpit+${pathname.split("/")[1]}` : "/cockpit";
    return pathname.split("/")[1] ?? "cockpit";
}

/** ws(s)://HOST/[ROOT/]APPLICATION/socket, or null where the page is not served over http(s). */
export function cockpitSocketUrl(): string | null {
    const root = urlRoot();
    const app = root ? `${root}/${application(root)}` : application(root);
    const scheme = { "http:": "ws:", "https:": "wss:" }[window.location.protocol];
    return scheme ? `${scheme}//${window.location.host}/${app}/socket` : null;
}
