// SPDX-License-Identifier: LGPL-2.1-or-later
// Headless Chromium (Debian's /usr/bin/chromium) through playwright-core, for browser tests.
//
//   const browser = await launchBrowser();
//   const page = await openVirtPage(browser, ws, { connections: ["test:///default"] });
//   await waitLoaded(page);
//   await screenshot(page, "list-light");
//   await browser.close();
//
// Every page gets localStorage["virt:connections"] (and "shell:style" for the theme) set by an init script, so
// the override is there before the page's own code runs, in the shell's frames too.

import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { chromium } from "playwright-core";

import { REPO } from "./bridge.mjs";

export const RESULTS_DIR = path.join(REPO, "test-results");

export const BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/**
 * Launches Chromium with a fresh profile. Returns { context, close() } — a persistent context is what a fresh
 * user-data-dir gives; pages are opened with openVirtPage() or context.newPage().
 */
export async function launchBrowser({ viewport = { width: 1280, height: 800 } } = {}) {
    const userDataDir = mkdtempSync(path.join(tmpdir(), "cvtest-chromium-"));
    const context = await chromium.launchPersistentContext(userDataDir, {
        executablePath: process.env.CVIRT_CHROMIUM ?? "/usr/bin/chromium",
        headless: true,
        args: BROWSER_ARGS,
        viewport,
    });
    context.setDefaultTimeout(10000);
    return {
        context,
        async close() {
            await context.close();
            rmSync(userDataDir, { recursive: true, force: true });
        },
    };
}

/** Collects the page's errors and console errors in page.virtErrors (snapOnFailure() reports them). */
export function collectErrors(page) {
    page.virtErrors = [];
    page.on("pageerror", err => page.virtErrors.push(`pageerror: ${err.message}`));
    page.on("console", msg => {
        if (msg.type() === "error")
            page.virtErrors.push(`console: ${msg.text()}`);
    });
}

/**
 * Opens a new page on `url` (default: the virt page of `ws`) with the given connections and theme
 * ("light", "dark" or "auto"); `transport: "stream"` sends every virt1 channel through the page's own frame router
 * over a `stream` channel (pkg/client/transport/), as Administrative access does; `prepare(page)` runs before the
 * page loads (routes). Page errors and console errors are collected in page.virtErrors.
 */
export async function openVirtPage(browser, ws, { connections, theme = "light", url, path: hashPath = "", transport, prepare } = {}) {
    const page = await browser.context.newPage();
    collectErrors(page);
    await prepare?.(page); // e.g. routes, before anything loads
    await page.addInitScript(({ connections, theme, transport }) => {
        if (connections)
            localStorage.setItem("virt:connections", JSON.stringify(connections));
        else
            localStorage.removeItem("virt:connections");
        if (transport)
            localStorage.setItem("virt:transport", transport);
        else
            localStorage.removeItem("virt:transport");
        localStorage.setItem("shell:style", theme);
    }, { connections: connections ?? null, theme, transport: transport ?? null });
    await page.goto((url ?? ws.pageUrl) + (hashPath ? "#" + hashPath : ""));
    return page;
}

// The helpers below take a Page, a Frame or a FrameLocator (the page inside the shell's iframe).

/** Waits until every connection has synced or settled (the list's data-loaded hook). */
export async function waitLoaded(frame, timeout = 20000) {
    await frame.locator('.virt-vm-list[data-loaded="true"]').waitFor({ state: "attached", timeout });
}

/**
 * Filters the list by `text` (the name filter), so a row is rendered whatever its place in a long list: the list
 * only renders the rows in view.
 */
export async function filterList(frame, text) {
    await frame.getByRole("textbox", { name: "Filter by name" }).fill(text);
}

/** The row of the VM called `name` (a locator; select inside it by role and text). */
export function vmRow(frame, name) {
    return frame.locator(`tr[data-vm-name="${name.replaceAll('"', '\\"')}"]`);
}

/** Waits until the row of `name` shows `state` (a libvirt state name: "running", "paused", "shutoff", …). */
export async function waitVmState(frame, name, state, timeout = 20000) {
    await frame.locator(`tr[data-vm-name="${name.replaceAll('"', '\\"')}"][data-vm-state="${state}"]`)
        .waitFor({ timeout });
}

/** Saves a PNG under test-results/ and returns its path. */
export async function screenshot(page, name, options = {}) {
    mkdirSync(RESULTS_DIR, { recursive: true });
    const file = path.join(RESULTS_DIR, `${name}.png`);
    await page.screenshot({ path: file, ...options });
    return file;
}

/** Opens the row's action menu ("Actions for <name>") and clicks the item `label`. */
export async function chooseAction(frame, vmName, label) {
    await frame.getByRole("button", { name: `Actions for ${vmName}`, exact: true }).click();
    // An item's accessible name may go on with its description ("Enable autostart Autostart is off").
    const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    await frame.getByRole("menuitem", { name: new RegExp(`^${escaped}( |$)`) }).click();
}

/** The labels of the row's action menu, in order, without descriptions (the menu is closed again afterwards). */
export async function actionMenuItems(frame, vmName) {
    const toggle = frame.getByRole("button", { name: `Actions for ${vmName}`, exact: true });
    await toggle.click();
    const menu = frame.getByRole("menu");
    await menu.waitFor();
    // First line of each item: an item may have a description under its label.
    const items = await menu.getByRole("menuitem").evaluateAll(els => els.map(el => el.innerText.trim().split("\n")[0]));
    await toggle.press("Escape");
    await menu.waitFor({ state: "hidden" });
    return items;
}

/** The open modal dialog whose title contains `title`. */
export function dialog(frame, title) {
    return frame.getByRole("dialog").filter({ hasText: title });
}

/**
 * Runs `fn`; if it throws, saves a screenshot named `name` under test-results/ first (and says where).
 * Page errors collected by openVirtPage() are appended to the error message.
 */
export async function snapOnFailure(page, name, fn) {
    try {
        return await fn();
    } catch (e) {
        const file = await screenshot(page, `FAILED-${name}`).catch(() => null);
        if (file)
            e.message += `\nscreenshot: ${file}`;
        if (page.virtErrors?.length)
            e.message += `\npage errors:\n${page.virtErrors.join("\n")}`;
        throw e;
    }
}
