// SPDX-License-Identifier: LGPL-2.1-or-later
// The console card as a user drives it in the browser: its tabs, its status, and the serial terminal's text.

import { waitFor } from "./libvirt.mjs";

/** The console of `kind` in `page` once its status is `status`. */
export function consoleOf(page, kind, status) {
    return page.locator(`.virt-console[data-console-kind="${kind}"]${status ? `[data-console-status="${status}"]` : ""}`);
}

export async function showTab(page, kind) {
    await page.getByRole("tab", { name: kind === "graphics" ? "Graphics" : "Serial" }).click();
}

/** Everything the serial terminal shows (its Copy button, read back from the clipboard). */
export async function serialText(page, scope = page) {
    await scope.getByRole("button", { name: /^(Copy|Copied)$/ }).click();
    return page.evaluate(() => navigator.clipboard.readText());
}

/** Waits until the serial terminal shows text matching `re`. */
export async function waitSerialText(page, re, timeoutMs = 15000, scope = page) {
    let last = "";
    try {
        await waitFor(async () => re.test(last = await serialText(page, scope)), timeoutMs, { interval: 300 });
    } catch (e) {
        e.message += `\nterminal:\n${last.slice(-800)}`;
        throw e;
    }
}
