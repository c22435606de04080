// Above the VM list: storage pools and networks, active / inactive, linking to their pages. Until the counts are
// known the cards hold their place with a placeholder, so the list below does not jump down when they come.

import { Card, CardBody, CardTitle } from "@patternfly/react-core/dist/esm/components/Card/index.js";
import { Skeleton } from "@patternfly/react-core/dist/esm/components/Skeleton/index.js";

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
    return { active, inactive };
}

/** `counts` null: not known yet. */
function StatusCard({ title, href, kind, counts }: {
    title: string; href: string; kind: string; counts: { active: number; inactive: number } | null;
}) {
    return (
        <Card isCompact className="virt-resource-card" data-card={kind}>
            <CardTitle><a href={href}>{title}</a></CardTitle>
            <CardBody>
                {counts
                    ? <>
                        <span className="virt-stat-number" data-count="active">{counts.active}</span>{" "}
                        <span className="virt-muted">{_("active")}</span>{" · "}
                        <span className="virt-stat-number" data-count="inactive">{counts.inactive}</span>{" "}
                        <span className="virt-muted">{_("inactive")}</span>
                    </>
                    : <Skeleton width="8rem" fontSize="lg" screenreaderText={_("Loading")} />}
            </CardBody>
        </Card>
    );
}

export function ResourceCards() {
    const resources = useResources();
    const synced = resources.some(r => r.synced);
    // Every connection's resource watch failed: its alert says so, and there is nothing to count.
    if (!synced && resources.length > 0 && resources.every(r => r.failure !== null))
        return null;
    return (
        <div className="virt-resource-cards">
            <StatusCard title={_("Storage pools")} href="#/storage" kind="storage"
                        counts={synced ? count(resources, "pools") : null} />
            <StatusCard title={_("Networks")} href="#/networks" kind="networks"
                        counts={synced ? count(resources, "networks") : null} />
        </div>
    );
}
