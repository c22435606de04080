// SPDX-License-Identifier: LGPL-2.1-or-later
// ops resources, pool and network through the real bridges on test:///default (docs/api.md): the snapshot,
// patches after our own operations (test:/// has no cross-process events), and the refusals with their codes.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { Bridge, abbreviate, bridgeNames } from "../harness/bridge.mjs";

const URI = "test:///default";

for (const name of bridgeNames()) {
    describe(`pools and networks via bridge ${name}`, () => {
        let b, channel;
        const tables = { pools: {}, networks: {} };

        before(async () => {
            b = await Bridge.start(name);
            channel = b.open({ payload: "virt1", op: "resources", uri: URI });
            await until(m => m.data?.synced, "the snapshot");
        });
        after(() => b.closeBridge());

        function until(check, what) {
            return b.next(channel, m => {
                assert.notEqual(m.command, "close", `resources closed: ${abbreviate(m)}`);
                for (const kind of ["pools", "networks"])
                    for (const [id, v] of Object.entries(m.data?.[kind] ?? {}))
                        if (v === null) delete tables[kind][id]; else tables[kind][id] = v;
                return check(m);
            }, 10000).catch(e => { throw new Error(`nothing ${what}: ${e.message}`) });
        }

        async function op(kind, fields) {
            const id = b.open({ payload: "virt1", op: kind, uri: URI, ...fields });
            const messages = await b.untilClose(id);
            return { results: messages.filter(m => !m.command).map(m => m.data), close: messages.at(-1).control };
        }
        const byName = (kind, n) => Object.values(tables[kind]).find(o => o.name === n);

        test("resources_snapshot_and_patches: the test driver's pool and network, then our stop and start", async () => {
            const pool = byName("pools", "default-pool");
            assert.equal(pool.type, "dir");
            assert.equal(pool.state, "running");
            const net = byName("networks", "default");
            assert.deepEqual([net.forward, net.bridge, net.ips[0].address, net.ips[0].prefix],
                             ["nat", "virbr0", "192.168.122.1", 24]);
            let r = await op("network", { action: "stop", network: "default" });
            assert.equal(r.close.problem, undefined, JSON.stringify(r.close));
            await until(() => byName("networks", "default")?.active === false, "for the stopped network");
            r = await op("network", { action: "start", network: net.id });
            assert.equal(r.close.problem, undefined);
            await until(() => byName("networks", "default")?.active === true, "for the started network");
            r = await op("pool", { action: "refresh", pool: "default-pool" });
            assert.equal(r.close.problem, undefined);
            await until(m => m.data?.pools?.[pool.id]?.refreshed > pool.refreshed, "for the refreshed pool");
        });

        test("resources_refusals: malformed opens, unknown actions, missing objects, bad networks", async () => {
            let r = await op("pool", { action: "start" });
            assert.equal(r.close.problem, "protocol-error");
            assert.match(r.close.message, /pool/);
            r = await op("pool", { action: "explode", pool: "default-pool" });
            assert.equal(r.close.problem, "not-supported");
            r = await op("pool", { action: "create", pool: "x", type: "sheepdog" });
            assert.equal(r.close.problem, "not-supported");
            r = await op("pool", { action: "start", pool: "cvtest-none" });
            assert.equal(r.close.problem, "not-found");
            r = await op("network", { action: "stop", network: "cvtest-none" });
            assert.equal(r.close.problem, "not-found");
            r = await op("network", { action: "create", network: "cvtest-x", forward: "bridge" });
            assert.equal(r.close.problem, "protocol-error");
            r = await op("network", { action: "create", network: "cvtest-x", forward: "nat", ipv4: { address: "192.168.122.77", prefix: 16 } });
            assert.equal(r.close.problem, "invalid-argument");
            assert.match(r.close.message, /overlaps network "default"/);
            r = await op("network", { action: "create", network: "cvtest-x", ipv4: { address: "10.9.0.0", prefix: 24 } });
            assert.equal(r.close.problem, "invalid-argument");
            r = await op("network", { action: "add-host", network: "default", mac: "zz", ip: "192.168.122.9" });
            assert.equal(r.close.problem, "invalid-argument");
            r = await op("resources", { uri: "" });
            assert.equal(r.close.problem, "protocol-error");
        });

        test("pool_types: each type's values refused by code before libvirt; accepted ones defined by libvirt's parser", async () => {
            const target = "iqn.2026-01.org.cockpit-virt:cvtest-t";
            const refused = [
                [{ type: "iscsi-direct", server: "127.0.0.1", target }, "protocol-error", /initiator/],
                [{ type: "iscsi-direct", server: "127.0.0.1", target: "foo", initiator: target }, "invalid-argument", /target "foo" is not an iSCSI name/],
                [{ type: "iscsi", server: "127.0.0.1", port: 70000, target }, "invalid-argument", /not a TCP port/],
                [{ type: "iscsi", server: "bad host", target }, "invalid-argument", /not a host name/],
                [{ type: "iscsi", server: "h", target, auth: { username: "u", secret: "" } }, "invalid-argument", /secret/],
                [{ type: "scsi", adapter: "scsi0" }, "invalid-argument", /SCSI host adapter/],
                [{ type: "rbd", monitors: [], source: "rbd" }, "invalid-argument", /monitor/],
                [{ type: "rbd", monitors: [{ server: "mon/1" }], source: "rbd" }, "invalid-argument", /not a host name/],
                [{ type: "gluster", server: "gl", source: "a/b" }, "invalid-argument", /Gluster volume/],
                [{ type: "zfs" }, "protocol-error", /source/],
                [{ type: "disk", device: "/dev/null", format: "mac" }, "invalid-argument", /partition table/],
                [{ type: "disk", device: "dev/sdb" }, "invalid-argument", /absolute path/],
            ];
            for (const [fields, problem, message] of refused) {
                const r = await op("pool", { action: "create", pool: "cvtest-types", ...fields });
                assert.equal(r.close.problem, problem, JSON.stringify(fields));
                assert.match(r.close.message, message);
            }
            // The test driver keeps what it is given without a backend: the XML passes libvirt's own parser.
            const accepted = [
                { type: "rbd", monitors: [{ server: "mon1.example", port: 6789 }, { server: "fd00::2" }], source: "rbd",
                  auth: { username: "admin", secret: "ceph-admin" } },
                { type: "gluster", server: "gl.example", source: "vol0", dir: "/images" },
                { type: "zfs", source: "tank" },
                { type: "scsi", adapter: "host3" },
                { type: "mpath" },
                { type: "iscsi", server: "san.example", port: 3261, target, initiator: "iqn.2026-01.org.cockpit-virt:i" },
            ];
            for (const fields of accepted) {
                const name = `cvtest-${fields.type}`;
                const r = await op("pool", { action: "create", pool: name, autostart: false, ...fields });
                assert.equal(r.close.problem, undefined, JSON.stringify(r.close));
                assert.equal(r.results[0].pool.type, fields.type);
                await until(() => byName("pools", name)?.type === fields.type, `for the ${fields.type} pool`);
                const d = await op("pool", { action: "delete", pool: name });
                assert.equal(d.close.problem, undefined, JSON.stringify(d.close));
                await until(() => !byName("pools", name), `for the ${fields.type} pool to go`);
            }
        });

        test("resources_ipv6: a routed IPv6 network with DHCPv6 and DNS hosts, overlaps and bad ranges refused by name", async () => {
            const ipv6 = { address: "fd00:cafe:1::1", prefix: 64, dhcp: { start: "fd00:cafe:1::100", end: "fd00:cafe:1::1ff" } };
            let r = await op("network", { action: "create", network: "cvtest-v6", forward: "route", ipv6 });
            assert.equal(r.close.problem, undefined, JSON.stringify(r.close));
            const id = r.results[0].network.id;
            await until(() => tables.networks[id]?.ips.some(ip => ip.family === "ipv6"), "for the IPv6 network");
            const ip = tables.networks[id].ips.find(i => i.family === "ipv6");
            assert.deepEqual([ip.address, ip.prefix], ["fd00:cafe:1::1", 64]);
            r = await op("network", { action: "create", network: "cvtest-v6b", ipv6: { address: "fd00:cafe::1", prefix: 32 } });
            assert.equal(r.close.problem, "invalid-argument");
            assert.match(r.close.message, /fd00:cafe::\/32 overlaps network "cvtest-v6" \(fd00:cafe:1::\/64\)/);
            r = await op("network", { action: "create", network: "cvtest-v6b",
                                      ipv6: { address: "fd00:beef::1", prefix: 64, dhcp: { start: "fd00:beef::10", end: "fd00:bee0::10" } } });
            assert.equal(r.close.problem, "invalid-argument");
            assert.match(r.close.message, /outside the network fd00:beef::\/64/);
            r = await op("network", { action: "create", network: "cvtest-v6b", ipv6: { address: "fe80::1", prefix: 64 } });
            assert.equal(r.close.problem, "invalid-argument");
            // NAT needs IPv4; an IPv6-only network may route.
            r = await op("network", { action: "create", network: "cvtest-v6b", forward: "nat", ipv6: { address: "fd00:beef::1", prefix: 64 } });
            assert.equal(r.close.problem, "invalid-argument");

            // DNS host entries, live on the running network; a bad name refused.
            r = await op("network", { action: "add-dns-host", network: id, ip: "fd00:cafe:1::5", hostnames: ["db", "db.lab"] });
            assert.equal(r.close.problem, undefined, JSON.stringify(r.close));
            await until(() => tables.networks[id]?.dnsHosts?.length === 1, "for the DNS host");
            assert.deepEqual(tables.networks[id].dnsHosts, [{ ip: "fd00:cafe:1::5", hostnames: ["db", "db.lab"] }]);
            r = await op("network", { action: "add-dns-host", network: id, ip: "fd00:cafe:1::6", hostnames: ["bad name"] });
            assert.equal(r.close.problem, "invalid-argument");
            r = await op("network", { action: "remove-dns-host", network: id, ip: "fd00:cafe:1::5", hostnames: ["db", "db.lab"] });
            assert.equal(r.close.problem, undefined, JSON.stringify(r.close));
            await until(() => tables.networks[id]?.dnsHosts?.length === 0, "for the DNS host to go");

            r = await op("network", { action: "delete", network: id });
            assert.equal(r.close.problem, undefined);
            await until(() => !tables.networks[id], "for the deleted network");
        });

        test("resources_mtu_and_backing: a network's MTU (bounded, typed) in its snapshot; a qcow2 overlay's backing volume checked", async () => {
            const ipv4 = { address: "10.77.1.1", prefix: 24 };
            let r = await op("network", { action: "create", network: "cvtest-mtu", forward: "open", ipv4, mtu: "9000" });
            assert.equal(r.close.problem, "protocol-error", JSON.stringify(r.close));
            r = await op("network", { action: "create", network: "cvtest-mtu", forward: "open", ipv4, mtu: 70000 });
            assert.deepEqual([r.close.problem, r.close.message],
                             ["invalid-argument", "The MTU must be between 1280 and 65535 bytes, not 70000"]);
            r = await op("network", { action: "create", network: "cvtest-mtu", forward: "open", ipv4, mtu: 9000 });
            assert.equal(r.close.problem, undefined, JSON.stringify(r.close));
            const id = r.results[0].network.id;
            await until(() => tables.networks[id]?.mtu === 9000, "for the network's MTU");
            assert.equal(byName("networks", "default").mtu, null);
            r = await op("network", { action: "delete", network: id });
            assert.equal(r.close.problem, undefined);

            r = await op("pool", { action: "create-volume", pool: "default-pool", name: "cvtest-base", capacity: 1 << 20, format: "qcow2" });
            assert.equal(r.close.problem, undefined, JSON.stringify(r.close));
            r = await op("pool", { action: "create-volume", pool: "default-pool", name: "cvtest-ov", capacity: 1 << 20, backing: "cvtest-gone" });
            assert.deepEqual([r.close.problem, r.close.reason], ["invalid-argument", "backing-volume"], JSON.stringify(r.close));
            r = await op("pool", { action: "create-volume", pool: "default-pool", name: "cvtest-ov", capacity: 1 << 20, backing: "cvtest-base" });
            assert.equal(r.close.problem, undefined, JSON.stringify(r.close));
            r = await op("pool", { action: "volumes", pool: "default-pool" });
            assert.deepEqual(r.results[0].volumes.filter(v => v.name.startsWith("cvtest-")).map(v => [v.name, v.format]),
                             [["cvtest-base", "qcow2"], ["cvtest-ov", "qcow2"]]);
            r = await op("pool", { action: "delete-volumes", pool: "default-pool", names: ["cvtest-ov", "cvtest-base"] });
            assert.equal(r.close.problem, undefined, JSON.stringify(r.close));
        });
    });
}
