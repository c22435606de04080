// SPDX-License-Identifier: LGPL-2.1-or-later
// The page as people reach it: inside the Cockpit shell, from its "Virtual machines" menu entry, with the VM
// page's deep link carried in the shell's own URL; beside cockpit-machines the two entries read differently.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { after, before, describe, test } from "node:test";

import { launchBrowser, openVirtPage, screenshot, snapOnFailure, vmRow, waitLoaded } from "../harness/browser.mjs";
import { startCockpitWs } from "../harness/cockpit-ws.mjs";
import { besideMachinesPrefix } from "../harness/machines.mjs";

// Cockpit 337's shell builds its menu from what the bridge reports; with the 287 bridge under it the menu stays
// empty. That is a mismatch of the two Cockpits, not of this page, whose own tests do run on 287.
const BRIDGE_287 = process.env.CVIRT_BROWSER_BRIDGE === "287";

// Our label: "Virtual machines", or where cockpit-machines is installed (our manifest's conditions) the other one.
const MACHINES_INSTALLED = ["/usr/share", "/usr/local/share"].some(d => existsSync(`${d}/cockpit/machines/manifest.json`));
const OUR_LABEL = MACHINES_INSTALLED ? "Virtual machines (virt)" : "Virtual machines";

// The page's first script is inline in index.html (pkg/first.ts): the policy each bridge serves the page with, from
// the manifest, must let exactly that script run, and nothing else inline.
for (const bridge of ["337", "287"]) {
    test(`bridge ${bridge}: index.html's policy lets its inline first script run, by its hash`, async () => {
        const ws = await startCockpitWs({ bridge });
        try {
            const response = await fetch(`${ws.base}/cockpit/@localhost/virt/index.html`);
            assert.equal(response.status, 200);
            const html = await response.text();
            const inline = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map(m => m[1]);
            assert.equal(inline.length, 1, "one inline script");
            const hash = createHash("sha256").update(inline[0], "utf8").digest("base64");
            const scriptSrc = /(?:^|;)\s*script-src ([^;]*)/.exec(response.headers.get("content-security-policy") ?? "")?.[1];
            assert.deepEqual(scriptSrc?.split(/\s+/).filter(s => s.startsWith("'")), ["'self'", `'sha256-${hash}'`]);
        } finally {
            await ws.stop();
        }
    });
}

describe("in the Cockpit shell", { skip: BRIDGE_287 && "the 337 shell with the 287 bridge has no menu" }, () => {
    let ws, browser;

    before(async () => {
        ws = await startCockpitWs();
        browser = await launchBrowser();
    });

    after(async () => {
        await browser?.close();
        await ws?.stop();
    });

    const virtFrame = page => page.frameLocator('iframe[name="cockpit1:localhost/virt"]');

    test("the menu entry opens the list; a VM link becomes the shell's URL", async () => {
        const page = await openVirtPage(browser, ws, { connections: ["test:///default"], url: `${ws.base}/` });
        await snapOnFailure(page, "shell-menu", async () => {
            await page.getByRole("link", { name: OUR_LABEL, exact: true }).and(page.locator('[href="/virt"]')).click();
            const frame = virtFrame(page);
            await waitLoaded(frame);
            await vmRow(frame, "test").getByRole("link", { name: "test" }).click();
            await frame.getByRole("heading", { level: 1, name: "test" }).waitFor();
            await page.waitForURL(url => url.pathname === "/virt" && url.hash === "#/vm/test%3A%2F%2F%2Fdefault/test");
            await screenshot(page, "shell-vm-page");
        });
        await page.close();
    });

    /**
     * Opens /virt through the shell with `connections`, watching every WebSocket to cockpit-ws: returns the page and
     * the sockets in the order they opened, each with the control messages the page sent on it.
     */
    async function openWatchingSockets(connections, route, prepare) {
        const page = await browser.context.newPage();
        await prepare?.(page);
        const sockets = [];
        page.on("websocket", socket => {
            const entry = { url: socket.url(), sent: [] };
            sockets.push(entry);
            socket.on("framesent", ({ payload }) => {
                if (typeof payload === "string" && payload.startsWith("\n"))
                    entry.sent.push(JSON.parse(payload.slice(1)));
            });
        });
        if (route)
            await page.routeWebSocket(/\/cockpit\/socket$/, route);
        await page.addInitScript(uris => {
            localStorage.setItem("virt:connections", JSON.stringify(uris));
            localStorage.setItem("shell:style", "light");
        }, connections);
        await page.goto(`${ws.base}/virt`);
        return { page, sockets };
    }

    const watchOpens = socket => socket.sent.filter(m => m.command === "open" && m.op === "watch");

    test("the list's first watch comes through the page's own socket, not through the shell", async () => {
        const { page, sockets } = await openWatchingSockets(["test:///default"]);
        await snapOnFailure(page, "shell-own-socket", async () => {
            const frame = virtFrame(page);
            await waitLoaded(frame);
            assert.equal(await vmRow(frame, "test").count(), 1);
            // The shell's socket first, then the frame's own, each sending its init first.
            assert.equal(sockets.length, 2, JSON.stringify(sockets.map(s => s.url)));
            assert.ok(sockets.every(s => new URL(s.url).pathname === "/cockpit/socket" && s.sent[0]?.command === "init"));
            const [shell, own] = sockets;
            assert.deepEqual(watchOpens(own).map(m => m.uri), ["test:///default"]);
            assert.deepEqual(watchOpens(shell), []);
            // Its channel ids carry a random prefix of its own (the opens do not wait for cockpit-ws's init and
            // its seed), apart from the shell's; cockpit-ws's init came all the same.
            assert.ok(watchOpens(own).every(m => /^virt-[0-9a-f]{16}:\d+$/.test(m.channel)), JSON.stringify(watchOpens(own)));
            assert.ok(watchOpens(own).every(m => !shell.sent.some(o => o.channel === m.channel)));
            assert.ok(await frame.locator("body").evaluate(() => performance.getEntriesByName("virt:socket-init").length === 1));
            // Opened by the inline first script, before cockpit.js and boot.js ran, to the URL cockpit.js would use.
            const marks = await frame.locator("body").evaluate(() =>
                Object.fromEntries(["virt:first", "virt:early-open", "virt:boot"].map(n => [n, performance.getEntriesByName(n)[0]?.startTime])));
            assert.ok(marks["virt:first"] <= marks["virt:early-open"] && marks["virt:early-open"] < marks["virt:boot"], JSON.stringify(marks));
            assert.equal(own.url, await frame.locator("body").evaluate(() => window.cockpit.transport.uri("socket")));
            // The user, asked on that socket too (cockpit.User on the internal bus), is the one cockpit.js knows.
            assert.ok(own.sent.some(m => m.command === "open" && m.payload === "dbus-json3" && m.bus === "internal"));
            const users = await frame.locator("body").evaluate(async () => [await window.virtEarlyUser, await window.cockpit.user()]);
            assert.deepEqual(users[0], users[1]);
        });
        await page.close();
    });

    test("with the page's own socket refused before cockpit.js ran, the list comes through the shell's", async () => {
        let count = 0;
        let refused;
        const refusal = new Promise(resolve => { refused = resolve });
        // The frame's cockpit.js arrives only after the refusal: its channels wait for it before they move to its
        // transport. (The shell's own cockpit.js goes through at once.)
        const holdCockpitJs = page => page.route(/\/base1\/cockpit\.js$/, async route => {
            if (route.request().frame().name() === "cockpit1:localhost/virt")
                await refusal;
            await route.continue();
        });
        const { page, sockets } = await openWatchingSockets(["test:///default"], route => {
            // The shell's socket goes through; the frame's own is closed before cockpit-ws says anything on it.
            if (++count === 1) {
                route.connectToServer();
            } else {
                route.close({ code: 1011, reason: "refused by the test" });
                setTimeout(refused, 200);
            }
        }, holdCockpitJs);
        await snapOnFailure(page, "shell-own-socket-refused", async () => {
            const frame = virtFrame(page);
            await waitLoaded(frame);
            assert.equal(await vmRow(frame, "test").count(), 1);
            assert.equal(count, 2);
            assert.deepEqual(watchOpens(sockets[0]).map(m => m.uri), ["test:///default"]);
            const marks = await frame.locator("body").evaluate(() =>
                ["virt:socket-init", "virt:early-open", "virt:boot"].map(n => performance.getEntriesByName(n)[0]?.startTime ?? null));
            assert.equal(marks[0], null, "no init on the refused socket");
            assert.ok(marks[1] !== null && marks[1] < marks[2], "the channels were opened before cockpit.js ran");
        });
        await page.close();
    });

    test("a shell URL with a deep link opens that VM's page", async () => {
        const page = await openVirtPage(browser, ws, {
            connections: ["test:///default"], url: `${ws.base}/virt`, path: "/vm/test%3A%2F%2F%2Fdefault/test",
        });
        await snapOnFailure(page, "shell-deeplink", async () => {
            const frame = virtFrame(page);
            await frame.getByRole("heading", { level: 1, name: "test" }).waitFor();
            await frame.getByRole("link", { name: "Virtual machines" }).click();
            await waitLoaded(frame);
            await page.waitForURL(url => url.pathname === "/virt" && (url.hash === "" || url.hash === "#/"));
            assert.equal(await vmRow(frame, "test").count(), 1);
        });
        await page.close();
    });

    test("a shell URL with a create link opens the dialog prefilled; Cancel goes back to the list", async () => {
        const page = await openVirtPage(browser, ws, {
            connections: ["test:///default"], url: `${ws.base}/virt`, path: "/create?source=/x.iso&name=from-shell",
        });
        await snapOnFailure(page, "shell-create", async () => {
            const frame = virtFrame(page);
            await frame.locator('[data-test="create-dialog"]').waitFor();
            assert.equal(await frame.locator("#create-name").inputValue(), "from-shell");
            assert.equal(await frame.locator("#create-source").inputValue(), "/x.iso");
            await frame.locator("#create-cancel").click();
            await page.waitForURL(url => url.pathname === "/virt" && (url.hash === "" || url.hash === "#/"));
            await frame.getByRole("link", { name: "Create VM" }).click();
            await frame.locator('[data-test="create-dialog"]').waitFor();
            await page.waitForURL(url => url.pathname === "/virt" && url.hash === "#/create");
        });
        await page.close();
    });
});

describe("in the Cockpit shell beside cockpit-machines", { skip: BRIDGE_287 && "the 337 shell with the 287 bridge has no menu" }, () => {
    let ws, browser;

    before(async () => {
        // cockpit-ws and its bridge see Debian's cockpit-machines in /usr/local/share (a private mount namespace).
        ws = await startCockpitWs({ wrap: besideMachinesPrefix() });
        browser = await launchBrowser();
    });

    after(async () => {
        await browser?.close();
        await ws?.stop();
    });

    test("the menu tells the two entries apart; ours opens the list", async () => {
        const page = await openVirtPage(browser, ws, { connections: ["test:///default"], url: `${ws.base}/` });
        await snapOnFailure(page, "shell-beside-machines", async () => {
            const theirs = page.getByRole("link", { name: "Virtual machines", exact: true });
            const ours = page.getByRole("link", { name: "Virtual machines (virt)", exact: true });
            await ours.waitFor();
            assert.equal(await theirs.getAttribute("href"), "/machines");
            assert.equal(await ours.getAttribute("href"), "/virt");
            await screenshot(page, "shell-beside-machines");
            await ours.click();
            await waitLoaded(page.frameLocator('iframe[name="cockpit1:localhost/virt"]'));
            await page.waitForURL(url => url.pathname === "/virt");
        });
        await page.close();
    });
});
