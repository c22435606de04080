// Above the VM list: storage pools and networks, active / inactive, linking to their pages.

import { Card, CardBody, CardTitle } from "@patternfly/react-core/dist/esm/components/Card/index.js";

import type { ConnectionResources } from "../client/resources-client.ts";

import { useResources } from "./resource-parts.tsx";

const _ = cockpit.gettext;

function count(resources: readonly ConnectionResources[], key: "pools" | "networks") {
    let active = 0;
    let inactive = 0;
    for (const r of resources) {
        const objects: readonly { active: boolean }[] = Object.values(key === "pools" ? r.pools : r.networks);
        for (const o of objects) {
            if (o.active)
                active += 1;
            else
                inactive += 1;
        }
    }
    return { active, inactive, synced: resources.some(r => r.synced) };
}

function StatusCard({ title, href, kind, active, inactive }: {
    title: string; href: string; kind: string; active: number; inactive: number;
}) {
    return (
        <Card isCompact className="virt-resource-card" data-card={kind}>
            <CardTitle><a href={href}>{title}</a></CardTitle>
            <CardBody>
                <span className="virt-stat-number" data-count="active">{active}</span>{" "}
                <span className="virt-muted">{_("active")}</span>{" · "}
                <span className="virt-stat-number" data-count="inactive">{inactive}</span>{" "}
                <span className="virt-muted">{_("inactive")}</span>
            </CardBody>
        </Card>
    );
}

export function ResourceCards() {
    const resources = useResources();
    const pools = count(resources, "pools");
    const networks = count(resources, "networks");
    if (!pools.synced)
        return null;
    return (
        <div className="virt-resource-cards">
            <StatusCard title={_("Storage pools")} href="#/storage" kind="storage"
                        active={pools.active} inactive={pools.inactive} />
            <StatusCard title={_("Networks")} href="#/networks" kind="networks"
                        active={networks.active} inactive={networks.inactive} />
        </div>
    );
}
