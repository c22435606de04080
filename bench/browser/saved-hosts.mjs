// SPDX-License-Identifier: LGPL-2.1-or-later
// The hosts benchmarks' shared step: saving remote hosts as a user would.

import { Bridge } from "../../tests/harness/bridge.mjs";

/** Saves `uris` through op `connections` (`add` tests each host first) as the user of `env` (HOME, XDG_CONFIG_HOME). */
export async function saveConnections(uris, env) {
    const b = await Bridge.start("337", { env });
    try {
        for (const uri of uris) {
            const ch = b.open({ payload: "virt1", op: "connections", action: "add", target: uri });
            const close = (await b.untilClose(ch, 30000)).at(-1).control;
            if (close.problem || close.added !== true)
                throw new Error(`connections add ${uri}: ${JSON.stringify(close)}`);
        }
    } finally {
        await b.closeBridge();
    }
}
