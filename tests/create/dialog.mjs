// SPDX-License-Identifier: LGPL-2.1-or-later
// The create dialog driven as a user would, through its element ids (docs/page.md, "Test hooks" of the create dialog),
// and what the create tests check afterwards in libvirt. Each test names its guests cvtest-create-<what>-<random>
// and removes exactly what it made (its domain and that domain's volumes), never other cvtest-* objects.

import { randomUUID } from "node:crypto";

import { openVirtPage } from "../harness/browser.mjs";
import { PREFIX, domState, virsh, waitFor } from "../harness/libvirt.mjs";

/** The tiny guest boots far slower under TCG on a busy host than alone (PXE alone: 30 s). */
export const BOOT_MS = 240000;

export function guestName(what) {
    return `${PREFIX}create-${what}-${randomUUID().slice(0, 6)}`;
}

/**
 * Opens the page on `#/create` (or `#/import`) with qemu:///system and waits for the dialog. Resolves with
 * { page, dialog }.
 */
export async function openCreateDialog(browser, ws, uri, { mode = "create", query = "" } = {}) {
    const page = await openVirtPage(browser, ws, { connections: [uri], path: `/${mode}${query}` });
    const dialog = page.locator('[data-test="create-dialog"]');
    await dialog.waitFor({ timeout: 30000 });
    // The host's options have arrived when the network choice lists more than the placeholder.
    await page.locator("#create-network option").nth(1).waitFor({ state: "attached", timeout: 30000 });
    return { page, dialog };
}

/** Picks an OS in the typeahead by its name as osinfo-db spells it ("Debian 11"), then checks it was taken. */
/** Opens a fresh dialog at `hash` ("/create?…") in an open page: back to the list first, so no state is kept. */
export async function freshDialog(page, hash = "/create") {
    const d = page.locator('[data-test="create-dialog"]');
    await page.evaluate(() => { window.location.hash = "#/" });
    await d.waitFor({ state: "detached" });
    await page.evaluate(h => { window.location.hash = "#" + h }, hash);
    await d.waitFor();
    return d;
}

export async function chooseOs(page, name) {
    const input = page.locator("#create-os");
    const option = page.getByRole("option", { name: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\b`) }).first();
    // The list re-renders while the OS list or the host's options arrive: retry a click that hit a moving menu.
    await waitFor(async () => {
        if (!await option.isVisible()) {
            await input.click();
            await input.fill(name);
        }
        await option.click({ timeout: 3000 }).catch(() => {});
        return await option.isVisible() ? false : (await input.inputValue()) === name;
    }, 30000, { interval: 500, what: `the OS picker to take ${name}` });
}

/**
 * Fills the dialog. `values`: sourceKind, source (path or URL), pxe ("network:<name>"), os (a name to pick) or
 * osDetected (a name auto-detection must find), name, memoryMiB, vcpus, storage ("none" | "new"), size (GiB),
 * network ("user", "network:<name>", "none"), login, password, rootPassword, hostname.
 * Software emulation (TCG) is always chosen: this machine's KVM cannot run guests.
 */
export async function fillDialog(page, values) {
    await page.locator("#create-source-kind").selectOption(values.sourceKind);
    if (values.pxe)
        await page.locator("#create-source").selectOption(values.pxe);
    else if (values.source !== undefined)
        await page.locator("#create-source").fill(values.source);
    if (values.osDetected) {
        await page.locator("#create-os-detected").filter({ hasText: values.osDetected }).waitFor({ timeout: 20000 });
        await waitFor(async () => (await page.locator("#create-os").inputValue()) === values.osDetected, 10000,
            { what: `the OS picker to show ${values.osDetected}` });
    } else if (values.os) {
        await chooseOs(page, values.os);
    }
    for (const [key, id] of [["login", "create-user-login"], ["password", "create-user-password"],
        ["rootPassword", "create-root-password"], ["hostname", "create-hostname"]]) {
        if (values[key] !== undefined)
            await page.locator(`#${id}`).fill(values[key]);
    }
    await page.locator("#create-name").fill(values.name);
    if (values.memoryMiB !== undefined) {
        await page.locator("#create-memory-unit").selectOption("MiB");
        await page.locator("#create-memory").fill(String(values.memoryMiB));
    }
    if (values.vcpus !== undefined)
        await page.locator("#create-vcpus").fill(String(values.vcpus));
    if (values.storage !== undefined)
        await page.locator("#create-storage-kind").selectOption(values.storage);
    if (values.size !== undefined)
        await page.locator("#create-storage-size").fill(String(values.size));
    if (values.copyToPool)
        await page.locator("#create-import-copy").check();
    if (values.network !== undefined)
        await page.locator("#create-network").selectOption(values.network);
    const virtType = page.locator("#create-virt-type");
    if (!await virtType.isVisible())
        await page.getByRole("button", { name: "Advanced" }).click();
    await virtType.selectOption("qemu");
}

/** The error texts shown in the dialog now, as { "create-name": "…" }. */
export async function shownErrors(page) {
    return page.locator('[data-test="create-dialog"] [id$="-error"]').evaluateAll(els =>
        Object.fromEntries(els.map(el => [el.id.replace(/-error$/, ""), el.textContent])));
}

/**
 * Waits (up to 10 s) until the dialog shows no field error: the helper's validation of what was typed last has
 * answered. What the create tests test is the source, not how fast the user clicks; validate.test.mjs has the
 * click right after typing.
 */
export async function settle(page) {
    await waitFor(async () => Object.keys(await shownErrors(page)).length === 0, 10000, { interval: 200 })
        .catch(() => {});
}

/**
 * Clicks "Create and run" and waits until libvirt has the domain running (the page closes the dialog and opens
 * the VM). Fails early with the dialog's alert or field errors if creation fails.
 */
export async function createAndRun(page, name, timeoutMs = 120000) {
    await settle(page);
    await page.locator("#create-and-run").click();
    await waitFor(async () => {
        if (await domState(name) === "running")
            return true;
        const alert = page.locator(".virt-create-alert");
        if (await alert.count() > 0 && await alert.isVisible())
            throw new Error(`creation failed: ${await alert.innerText()}; field errors ${JSON.stringify(await shownErrors(page))}`);
        if (!await page.locator(".virt-create-progress").count()) {
            const errors = await shownErrors(page);
            if (Object.keys(errors).length)
                throw new Error(`the dialog refused: ${JSON.stringify(errors)}`);
        }
        return false;
    }, timeoutMs, { interval: 250, what: `${name} to run` });
    await page.locator('[data-test="create-dialog"]').waitFor({ state: "hidden", timeout: 30000 });
}

/**
 * Starts recording the progress steps the dialog shows (its data-step: "validate", "volume", "copy", …) in the
 * page, each once in order; steps(page) reads them. A step shown for a few milliseconds is still caught.
 */
export async function recordSteps(page) {
    await page.evaluate(() => {
        window.cvSteps = [];
        const note = () => {
            const step = document.querySelector(".virt-create-progress")?.dataset.step;
            if (step && window.cvSteps.at(-1) !== step)
                window.cvSteps.push(step);
        };
        new window.MutationObserver(note).observe(document.body,
            { subtree: true, childList: true, attributes: true, attributeFilter: ["data-step"] });
    });
}

export function steps(page) {
    return page.evaluate(() => window.cvSteps);
}

/** The domain XML (inactive definition: what the create op defined). */
export function domainXml(name) {
    return virsh("dumpxml", "--inactive", name);
}

/** The <disk> elements of a domain XML, each as its text. */
export function disks(xml) {
    return xml.match(/<disk[\s\S]*?<\/disk>/g) ?? [];
}

/** The <interface> elements of a domain XML. */
export function interfaces(xml) {
    return xml.match(/<interface[\s\S]*?<\/interface>/g) ?? [];
}

/**
 * Removes a domain the dialog made and the pool volumes it uses (found from its disks' paths before it goes):
 * destroy, undefine (with NVRAM), vol-delete each volume. Files outside pools are the test's own copies.
 */
export async function removeCreated(name) {
    let xml;
    try {
        xml = await domainXml(name);
    } catch {
        return;
    }
    const live = await virsh("dumpxml", name).catch(() => "");
    await virsh("destroy", name).catch(() => {});
    await virsh("undefine", "--nvram", name).catch(() => virsh("undefine", name).catch(() => {}));
    for (const d of disks(xml)) {
        const vol = d.match(/<source pool='([^']+)' volume='([^']+)'/);
        const file = d.match(/<source file='([^']+)'/);
        if (vol)
            await virsh("vol-delete", "--pool", vol[1], vol[2]).catch(() => {});
        else if (file)
            await virsh("vol-delete", file[1]).catch(() => {}); // fails quietly for files outside pools
    }
    // A tree install's kernel and initrd volumes (in the live XML while the installer runs).
    for (const m of `${live}${xml}`.matchAll(/<(?:kernel|initrd)>([^<]+)<\//g))
        await virsh("vol-delete", m[1]).catch(() => {});
}
