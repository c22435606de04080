// SPDX-License-Identifier: LGPL-2.1-or-later
// Real logins (tests/harness/login.mjs): a sudoer outside the libvirt group logs in with a password through
// Cockpit's login page, turns Administrative access on in the shell's dialog (a superuser spawn then runs as
// root) and off again (it is refused); a libvirt-group user and a user with neither log in too. Each user's
// bridge has the session bus the harness gives it.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { snapOnFailure, waitLoaded } from "../harness/browser.mjs";
import {
    adminAccessOn, bridgeEnvironments, launchChromium, login, openVirtPage, setAdminAccess, startLoginSession,
    superuserSpawn,
} from "../harness/login.mjs";

describe("real login", () => {
    let session, browser;

    before(async () => {
        session = await startLoginSession();
        browser = await launchChromium();
    });

    after(async () => {
        try {
            await browser?.close();
        } finally {
            await session?.stop(); // the users and their processes go even if Chromium would not close
        }
    });

    test("a sudoer turns Administrative access on and off in the shell", async () => {
        const { admin } = session.users;
        const page = await login(browser, session, "admin");
        await snapOnFailure(page, "login-admin", async () => {
            const envs = bridgeEnvironments(admin);
            assert.ok(envs.length >= 1, "the login runs a bridge as the user");
            for (const env of envs)
                assert.equal(env.DBUS_SESSION_BUS_ADDRESS, admin.bus.address);
            // A fresh browser starts limited (the shell remembers the choice per browser, not per user).
            assert.equal(await adminAccessOn(page), false);
            await assert.rejects(superuserSpawn(page, session, ["id", "-u"]), { problem: "access-denied" });

            await setAdminAccess(page, true, admin);
            assert.equal(await adminAccessOn(page), true);
            assert.equal(await superuserSpawn(page, session, ["id", "-u"]), "0\n");
            // The spawn ran in a tab of its own: this one is still where it was.
            assert.equal(new URL(page.url()).pathname, "/system");

            await setAdminAccess(page, false, admin);
            assert.equal(await adminAccessOn(page), false);
            await assert.rejects(superuserSpawn(page, session, ["id", "-u"]), { problem: "access-denied" });
            // Without superuser the same spawn runs as the user.
            assert.equal(await superuserSpawn(page, session, ["id", "-u"], {}), `${admin.uid}\n`);
        });
        await page.context().close();
    });

    for (const who of ["virt", "plain"]) {
        test(`${who}: logs in and reaches the virt page`, async () => {
            const user = session.users[who];
            const page = await login(browser, session, who);
            await snapOnFailure(page, `login-${who}`, async () => {
                // The page's helper runs as the user, through their own bridge: every connection settles.
                const frame = await openVirtPage(page, session);
                await waitLoaded(frame, 30000);
                assert.equal(await superuserSpawn(page, session, ["id", "-u"], {}), `${user.uid}\n`);
            });
            await page.context().close();
        });
    }
});
