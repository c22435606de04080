// "Create storage pool": every pool type libvirt knows, each with its own fields (pool-type-fields.tsx). Types
// this libvirtd has no backend for are listed disabled with the package that provides them. The helper validates
// (name in use, path missing or not a directory, device not a block device, a bad host, port or iSCSI name) and
// its verdict is shown as given.

import { Checkbox } from "@patternfly/react-core/dist/esm/components/Checkbox/index.js";
import { FormGroup, FormHelperText } from "@patternfly/react-core/dist/esm/components/Form/index.js";
import { FormSelect, FormSelectOption } from "@patternfly/react-core/dist/esm/components/FormSelect/index.js";
import { HelperText, HelperTextItem } from "@patternfly/react-core/dist/esm/components/HelperText/index.js";
import { TextInput } from "@patternfly/react-core/dist/esm/components/TextInput/index.js";
import { useState } from "react";

import type { PoolSource } from "../client/pool-sources.ts";
import { runPoolAction } from "../client/resource-ops.ts";
import type { ConnectionResources } from "../client/resources-client.ts";

import { CreateResourceDialog } from "./create-resource.tsx";
import { openDialog } from "./dialog-host.tsx";
import { PoolSourceFinder, hasSourceFinder } from "./pool-sources.tsx";
import { POOL_TYPES, type PoolFields, PoolTypeFields, poolCreateFields, poolFieldsReady } from "./pool-type-fields.tsx";

const _ = cockpit.gettext;

function CreatePoolDialog({ resources, onDone }: { resources: readonly ConnectionResources[]; onDone: () => void }) {
    const uris = resources.map(r => r.uri);
    const [uri, setUri] = useState(uris[0] ?? "");
    const [name, setName] = useState("");
    const [type, setType] = useState("dir");
    const [fields, setFields] = useState<PoolFields>({});
    const [autostart, setAutostart] = useState(true);

    const driver = resources.find(r => r.uri === uri)?.drivers?.storage;
    const supported = driver?.state === "available" ? driver.poolTypes ?? {} : {};
    const missing = POOL_TYPES.filter(t => supported[t.type] === false)
            .map(t => cockpit.format(_("$0 (needs $1)"), t.type, t.pkg));

    const set = (field: string, value: string) => setFields(f => ({ ...f, [field]: value }));
    const create = () => runPoolAction(uri, name, "create", { type, autostart, ...poolCreateFields(type, fields) });

    // A found volume group is an existing one (the pool takes its name); a found export fills server and
    // export; a found iSCSI target its portal and IQN; a Gluster volume its server and name.
    const fillFromSource = (source: PoolSource) => {
        if (type === "logical") {
            setName(source.name ?? "");
            set("device", "");
        } else if (type === "netfs") {
            set("server", source.host ?? fields.server ?? "");
            set("dir", source.dir ?? "");
        } else if (type === "iscsi") {
            set("server", source.host ?? fields.server ?? "");
            if (source.port)
                set("port", String(source.port));
            set("target", source.devices[0] ?? "");
        } else if (type === "gluster") {
            set("server", source.host ?? fields.server ?? "");
            set("source", source.name ?? "");
        }
    };

    return (
        <CreateResourceDialog kind="pool" title={_("Create storage pool")} errorTitle={_("The pool was not created")}
                              uris={uris} uri={uri} onUri={setUri} ready={!!name && poolFieldsReady(type, fields)}
                              create={create} onDone={onDone}>
            <FormGroup label={_("Name")} isRequired fieldId="create-pool-name">
                <TextInput id="create-pool-name" value={name} onChange={(_ev, v) => setName(v)} isRequired />
            </FormGroup>
            <FormGroup label={_("Type")} fieldId="create-pool-type">
                <FormSelect id="create-pool-type" value={type} onChange={(_ev, v) => setType(v)}>
                    {POOL_TYPES.map(t => (
                        <FormSelectOption key={t.type} value={t.type} isDisabled={supported[t.type] === false}
                                          label={supported[t.type] === false
                                              ? cockpit.format(_("$0 (needs $1)"), t.label, t.pkg)
                                              : t.label} />))}
                </FormSelect>
                {missing.length > 0 &&
                    <FormHelperText>
                        <HelperText>
                            <HelperTextItem data-test="other-pool-types">
                                {cockpit.format(_("Not installed on this host: $0."), missing.join(", "))}
                            </HelperTextItem>
                        </HelperText>
                    </FormHelperText>}
            </FormGroup>
            <PoolTypeFields type={type} fields={fields} set={set} />
            {hasSourceFinder(type) &&
                <PoolSourceFinder uri={uri} type={type} host={fields.server || undefined}
                                  port={Number(fields.port) || undefined} onPick={fillFromSource} />}
            <Checkbox id="create-pool-autostart" label={_("Start at boot")} isChecked={autostart}
                      onChange={(_ev, v) => setAutostart(v)} />
        </CreateResourceDialog>
    );
}

export function showCreatePoolDialog(resources: readonly ConnectionResources[]): Promise<void> {
    return openDialog<undefined>(done => <CreatePoolDialog resources={resources} onDone={() => done(undefined)} />);
}
