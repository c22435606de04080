// SPDX-License-Identifier: LGPL-2.1-or-later
// Real logins for browser tests: test users (users.mjs) log in through Cockpit's own login page, into a private
// cockpit-ws that authenticates them through PAM (cockpit-ws.mjs, `login: true`), and use the shell's own
// "Administrative access" dialog (sudo with their password).
//
//   const session = await startLoginSession();          // users admin, virt, plain; one cockpit-ws
//   const browser = await launchChromium();
//   const page = await login(browser, session, "admin");   // logged in, the shell loaded (a fresh context)
//   await setAdminAccess(page, true, session.users.admin);
//   const frame = await openVirtPage(page, session);          // the virt page's frame inside the shell
//   await superuserSpawn(page, session, ["id", "-u"]);        // "0\n" while admin access is on
//   await page.context().close(); await browser.close(); await session.stop();
//
// Each user gets, for the whole session:
// - the package staged in ~/.local/share/cockpit/virt (their bridge looks there first), with a copy of the helper
//   they may execute, and a probe package (~/.local/share/cockpit/cvtest-probe) whose frame has cockpit.js, for
//   checks such as superuserSpawn();
// - a D-Bus session bus. Without systemd nobody starts one, and Cockpit's bridge (337) then exits when the shell
//   opens its second session-bus channel (seen as a sudoer turning on Administrative access: sd_bus_attach_event
//   fails with EINVAL, then "channel is already open", and the browser is back at the login page). The harness runs `dbus-daemon --session` as the user on a socket in their home
//   and names it in their ~/.pam_environment, which Cockpit's PAM stack reads (/etc/pam.d/cockpit: pam_env
//   user_readenv=1), so every login of that user finds it, as with a systemd user bus. Nothing outside the
//   user's home changes; removing the user removes it all.

import { execFileSync, spawn } from "node:child_process";
import { chownSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

import { chromium } from "playwright-core";

import { REPO } from "./bridge.mjs";
import { BROWSER_ARGS, collectErrors } from "./browser.mjs";
import { startCockpitWs } from "./cockpit-ws.mjs";
import { TEST_USERS, createUser, removeUser } from "./users.mjs";

const PROBE = "cvtest-probe";
const SHELL_TIMEOUT = 30000;

/** The iframe name the shell gives the page of package `pkg` on localhost. */
export const frameName = pkg => `cockpit1:localhost/${pkg}`;

/** Starts a session bus as `user` on a socket in their home; resolves with { address, stop() }. */
async function startSessionBus(user) {
    const socket = path.join(user.home, ".cvtest-session-bus");
    const child = spawn("dbus-daemon", ["--session", "--nofork", "--nopidfile", `--address=unix:path=${socket}`,
        "--print-address=1"], {
        // stderr: it logs each failed activation of systemd, which the bridge asks for on every login
        uid: user.uid, gid: user.gid, cwd: user.home, stdio: ["ignore", "pipe", "ignore"],
        env: { PATH: process.env.PATH, HOME: user.home, USER: user.name, LOGNAME: user.name },
    });
    const exited = new Promise(resolve => child.once("exit", resolve));
    const address = await new Promise((resolve, reject) => {
        let out = "";
        child.stdout.on("data", chunk => {
            out += chunk;
            if (out.includes("\n"))
                resolve(out.split("\n")[0].trim());
        });
        child.once("exit", code => reject(new Error(`dbus-daemon for ${user.name} exited (${code})`)));
    });
    return {
        address,
        async stop() {
            if (child.exitCode === null && child.signalCode === null) {
                child.kill("SIGTERM");
                await exited;
            }
        },
    };
}

/** Writes `content` to `file` in the user's home, owned by them. */
function writeUserFile(user, file, content) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
    chownSync(file, user.uid, user.gid);
}

/** chown -R for what the harness put in the user's home. */
function chownTree(user, dir) {
    execFileSync("chown", ["-R", `${user.uid}:${user.gid}`, dir]);
}

/** Stages the virt package (with `helper`) and the probe package in the user's ~/.local/share/cockpit. */
function stagePackages(user, helper) {
    const dataHome = path.join(user.home, ".local/share");
    execFileSync(path.join(REPO, "scripts/stage-package.sh"), [dataHome, helper], { stdio: "inherit" });
    const probe = path.join(dataHome, "cockpit", PROBE);
    mkdirSync(probe, { recursive: true });
    writeFileSync(path.join(probe, "manifest.json"), "{}\n");
    writeFileSync(path.join(probe, "index.html"),
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><script src="../base1/cockpit.js"></script></head>' +
        "<body>cockpit-virt test probe</body></html>\n");
    chownTree(user, path.join(user.home, ".local"));
}

/**
 * Creates the test users `which` (keys of TEST_USERS), starts one cockpit-ws with real logins, and prepares each
 * user (packages, session bus). Resolves with { ws, users: { admin: { name, password, uid, gid, home, bus } … },
 * stop() }; stop() ends cockpit-ws and removes the users with everything they ran.
 */
export async function startLoginSession({ which = Object.keys(TEST_USERS), helper } = {}) {
    const users = {};
    let ws;
    const stop = async () => {
        await ws?.stop();
        for (const user of Object.values(users)) {
            await user.bus?.stop();
            removeUser(user.name);
        }
    };
    try {
        ws = await startCockpitWs({ login: true, helper });
        for (const key of which) {
            const spec = TEST_USERS[key];
            const user = users[key] = createUser(spec.name, { groups: spec.groups });
            stagePackages(user, ws.helper);
            user.bus = await startSessionBus(user);
            writeUserFile(user, path.join(user.home, ".pam_environment"),
                `DBUS_SESSION_BUS_ADDRESS DEFAULT="${user.bus.address}"\n`);
        }
    } catch (e) {
        await stop();
        throw e;
    }
    return { ws, users, stop };
}

/** Headless Chromium (the flags of browser.mjs) for several logins: each login() gets a context of its own. */
export function launchChromium() {
    return chromium.launch({
        executablePath: process.env.CVIRT_CHROMIUM ?? "/usr/bin/chromium", headless: true, args: BROWSER_ARGS,
    });
}

/** The shell's access button ("Limited access" / "Administrative access") in the top bar. */
export function accessButton(page) {
    return page.locator("#super-user-indicator button");
}

/**
 * Logs `who` (a key of session.users, or a user object) in through the login page in a fresh browser context and
 * waits for the shell. Options: `connections` (localStorage["virt:connections"] for the virt page, as
 * browser.mjs openVirtPage() sets it), `theme`. Resolves with the page; page.virtErrors collects its errors.
 */
export async function login(browser, session, who, { connections, theme = "light" } = {}) {
    const user = typeof who === "string" ? session.users[who] : who;
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    context.setDefaultTimeout(10000);
    const page = await context.newPage();
    collectErrors(page);
    await page.addInitScript(({ connections, theme }) => {
        if (connections)
            localStorage.setItem("virt:connections", JSON.stringify(connections));
        localStorage.setItem("shell:style", theme);
    }, { connections: connections ?? null, theme });
    await page.goto(`${session.ws.base}/`);
    await page.locator("#login-user-input").fill(user.name);
    await page.locator("#login-password-input").fill(user.password);
    await page.locator("#login-button").click();
    await page.locator("#super-user-indicator").waitFor({ timeout: SHELL_TIMEOUT });
    return page;
}

/** True when the shell shows Administrative access on (waits for the button first). */
export async function adminAccessOn(page) {
    const button = accessButton(page);
    await button.waitFor({ timeout: SHELL_TIMEOUT });
    return (await button.innerText()).includes("Administrative access");
}

/**
 * Turns Administrative access on or off through the shell's own dialogs, as a user would: on asks for `user`'s
 * password (sudo); off confirms "Limit access". Returns when the shell shows the new state.
 */
export async function setAdminAccess(page, on, user) {
    if (await adminAccessOn(page) === on)
        return;
    await accessButton(page).click();
    if (on) {
        const dialog = page.getByRole("dialog", { name: "Switch to administrative access" });
        await dialog.locator("#switch-to-admin-access-password").fill(user.password);
        await dialog.getByRole("button", { name: "Authenticate" }).click();
        await dialog.waitFor({ state: "hidden", timeout: SHELL_TIMEOUT });
    } else {
        const dialog = page.getByRole("dialog", { name: "Switch to limited access" });
        await dialog.getByRole("button", { name: "Limit access" }).click();
        await dialog.waitFor({ state: "hidden", timeout: SHELL_TIMEOUT });
    }
    await accessButton(page).filter({ hasText: on ? "Administrative access" : "Limited access" })
        .waitFor({ timeout: SHELL_TIMEOUT });
}

/**
 * Navigates the shell to the virt page (`hashPath` as its deep link, e.g. "/vm/…") and resolves with its frame
 * (a FrameLocator, which outlives reloads of the iframe; page.frame({ name: frameName("virt") }) gives the Frame).
 */
export async function openVirtPage(page, session, { hashPath = "" } = {}) {
    await page.goto(`${session.ws.base}/virt${hashPath ? "#" + hashPath : ""}`);
    await page.locator(`iframe[name="${frameName("virt")}"]`).waitFor({ state: "attached", timeout: SHELL_TIMEOUT });
    return page.frameLocator(`iframe[name="${frameName("virt")}"]`);
}

/**
 * Runs `argv` through cockpit.spawn() with `options` (default superuser "require") in the probe package's frame,
 * in a shell tab of its own in `page`'s browser context (the same login session, so the same superuser state;
 * `page` stays where it is). Resolves with the output, or rejects with an Error whose `problem` is cockpit's
 * problem code ("access-denied", …).
 */
export async function superuserSpawn(page, session, argv, options = { superuser: "require" }) {
    const tab = await page.context().newPage();
    try {
        await tab.goto(`${session.ws.base}/${PROBE}`);
        const iframe = tab.locator(`iframe[name="${frameName(PROBE)}"]`);
        await iframe.waitFor({ state: "attached", timeout: SHELL_TIMEOUT });
        const frame = await (await iframe.elementHandle()).contentFrame();
        await frame.waitForFunction(() => typeof window.cockpit?.spawn === "function");
        const result = await frame.evaluate(({ argv, options }) => new Promise(resolve => {
            window.cockpit.spawn(argv, { err: "message", ...options })
                .then(output => resolve({ output }), err => resolve({ problem: err.problem ?? null, message: err.message }));
        }), { argv, options });
        if ("output" in result)
            return result.output;
        throw Object.assign(new Error(`${result.problem}: ${result.message}`), { problem: result.problem });
    } finally {
        await tab.close();
    }
}

/** The environments of the user's cockpit-bridge processes (one per login), as objects read from /proc. */
export function bridgeEnvironments(user) {
    let pids;
    try {
        pids = execFileSync("pgrep", ["-U", String(user.uid), "-f", "cockpit-bridge"], { encoding: "utf8" })
            .split("\n").filter(Boolean);
    } catch {
        return []; // pgrep exits 1 when nothing matches
    }
    return pids.map(pid => Object.fromEntries(readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").filter(Boolean)
        .map(kv => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)])));
}
