// Pieces the Disks and Network interfaces cards share: the "which configuration" label, a card with a title and
// one action button and a table of the devices, and running a device op straight from a row (its failure becomes a notice).

import { Card, CardBody, CardHeader, CardTitle } from "@patternfly/react-core/dist/esm/components/Card/index.js";
import { Label } from "@patternfly/react-core/dist/esm/components/Label/index.js";
import { Tooltip } from "@patternfly/react-core/dist/esm/components/Tooltip/index.js";
import { Table, Tbody, Thead } from "@patternfly/react-table/dist/esm/components/Table/index.js";
import type React from "react";

import { type DeviceAction, type DeviceParams, runDevice } from "../client/device.ts";
import { whereText } from "../dialogs/devices/device-dialog.tsx";
import { deviceChanged } from "../store/device-changes.ts";
import { addNotice } from "../store/notices.ts";
import type { Vm } from "../types.ts";

import type { Presence } from "./device-rows.ts";

const _ = cockpit.gettext;

export function PresenceLabel({ presence, next }: { presence: Presence; next?: string }) {
    switch (presence) {
    case "both": return null;
    case "now":
        return <Label isCompact color="orange" className="virt-presence">{_("Now only")}</Label>;
    case "next-boot":
        return <Label isCompact color="blue" className="virt-presence">{_("At next boot")}</Label>;
    case "changed":
        return (
            <Tooltip content={next ?? _("The saved definition has it differently")}>
                <Label isCompact color="blue" className="virt-presence">{_("Changes at next boot")}</Label>
            </Tooltip>
        );
    }
}

/** A card with a title and one action button, holding a table of the devices (`header`, then one row each), or
 * `empty` when there are none. */
export function DeviceCard({ className, title, action, empty, rowCount, header, children }: {
    className: string; title: string; action: React.ReactNode;
    empty: string; rowCount: number; header: React.ReactNode; children: React.ReactNode;
}) {
    return (
        <Card className={className}>
            <CardHeader actions={{ actions: action, hasNoOffset: true }}>
                <CardTitle component="h2">{title}</CardTitle>
            </CardHeader>
            <CardBody>
                {rowCount === 0
                    ? empty
                    : (
                        <Table aria-label={title} variant="compact" role="table">
                            <Thead>{header}</Thead>
                            <Tbody>{children}</Tbody>
                        </Table>
                    )}
            </CardBody>
        </Card>
    );
}

/** A device change without a dialog (eject, link up/down): says where it applied, or why it failed. */
export function quickChange(vm: Vm, action: DeviceAction, params: DeviceParams, what: string, failure: string): void {
    runDevice(vm.uri, vm.id, action, params).then(
        result => {
            deviceChanged();
            addNotice({ variant: "info", title: cockpit.format("$0: $1", what, whereText(result)), details: [] });
        },
        (ex: unknown) => addNotice({ variant: "danger", title: failure, details: [ex instanceof Error ? ex.message : String(ex)] }));
}
