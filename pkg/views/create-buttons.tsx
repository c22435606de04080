// "Create VM" and "Import VM": links to the create dialog's routes (#/create, #/import).

import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";

import { showAddHostDialog } from "../dialogs/add-host.tsx";

const _ = cockpit.gettext;

export function CreateButtons() {
    return (
        <>
            <Button variant="primary" component="a" href="#/create" id="virt-create-vm">{_("Create VM")}</Button>
            <Button variant="secondary" component="a" href="#/import" id="virt-import-vm">{_("Import VM")}</Button>
            <Button variant="secondary" id="virt-add-host" onClick={() => { void showAddHostDialog() }}>
                {_("Add host")}
            </Button>
        </>
    );
}
