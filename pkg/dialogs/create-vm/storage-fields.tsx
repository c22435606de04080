// The VM's disk: a new volume in a pool (size, and the pool's free space), an existing volume, or none. A cloud
// image is always copied into a pool and grown to the size; an imported disk is set up in the source fields.

import { FormGroup } from "@patternfly/react-core/dist/esm/components/Form/index.js";
import { FormSelect, FormSelectOption } from "@patternfly/react-core/dist/esm/components/FormSelect/index.js";
import { InputGroup, InputGroupItem, InputGroupText } from "@patternfly/react-core/dist/esm/components/InputGroup/index.js";
import { TextInput } from "@patternfly/react-core/dist/esm/components/TextInput/index.js";

import type { CreateOptions, PoolInfo } from "../../client/create.ts";
import { formatBytes } from "../../format.ts";

import { FieldMessage, validated } from "./field-message.tsx";
import { type FieldsProps, type StorageKind, usesStorageChoice } from "./form.ts";

const _ = cockpit.gettext;

export const DEFAULT_POOL = "default";

/** The pools to offer: the host's, plus "default" when it does not exist yet (the helper creates it). */
export function poolChoices(options: CreateOptions | null): PoolInfo[] {
    const pools = options?.pools ?? [];
    if (pools.some(p => p.name === DEFAULT_POOL) || (options && options.default_pool.exists))
        return pools;
    const path = options?.default_pool.path ?? "/var/lib/libvirt/images";
    return [{ name: DEFAULT_POOL, active: false, type: "dir", path, capacity: 0, available: 0 }, ...pools];
}

interface Props extends FieldsProps {
    options: CreateOptions | null;
}

export function StorageFields({ form, update, errors, warnings, options }: Props) {
    if (!usesStorageChoice(form.sourceKind) && form.sourceKind !== "cloud")
        return null;
    const cloud = form.sourceKind === "cloud";
    const kind: StorageKind = cloud ? "new" : form.storageKind;
    const pools = poolChoices(options);
    const pool = pools.find(p => p.name === form.pool);
    const defaultMissing = options !== null && !options.default_pool.exists && form.pool === DEFAULT_POOL;

    let poolHint;
    if (defaultMissing)
        poolHint = cockpit.format(_("The default pool will be created at $0"), options.default_pool.path);
    else if (pool && pool.capacity > 0)
        poolHint = cockpit.format(_("$0 free of $1"), formatBytes(pool.available), formatBytes(pool.capacity));

    return (
        <>
            {!cloud &&
                <FormGroup label={_("Storage")} fieldId="create-storage-kind">
                    <FormSelect id="create-storage-kind" value={kind}
                                validated={validated("storage", errors, warnings)}
                                onChange={(_ev, value) => update({ storageKind: value as StorageKind })}>
                        <FormSelectOption value="new" label={_("Create a new volume")} />
                        <FormSelectOption value="volume" label={_("Use an existing volume")} />
                        <FormSelectOption value="none" label={_("No storage")} />
                    </FormSelect>
                    {kind !== "volume" && <FieldMessage field="storage" errors={errors} warnings={warnings} />}
                </FormGroup>}
            {kind !== "none" &&
                <FormGroup label={_("Storage pool")} fieldId="create-storage-pool">
                    <FormSelect id="create-storage-pool" value={form.pool}
                                validated={validated("storage.pool", errors, warnings)}
                                onChange={(_ev, value) => update({ pool: value })}>
                        {pools.map(p =>
                            <FormSelectOption key={p.name} value={p.name}
                                              label={p.active || p.name === DEFAULT_POOL ? p.name
                                                  : cockpit.format(_("$0 (inactive)"), p.name)} />)}
                    </FormSelect>
                    <FieldMessage field="storage.pool" errors={errors} warnings={warnings}
                                  {...poolHint ? { hint: poolHint } : {}} />
                </FormGroup>}
            {kind === "new" &&
                <FormGroup label={cloud ? _("Disk size") : _("Size")} fieldId="create-storage-size" isRequired>
                    <InputGroup>
                        <InputGroupItem isFill>
                            <TextInput id="create-storage-size" value={form.size} inputMode="decimal"
                                       validated={validated("storage.size_gib", errors, warnings)}
                                       onChange={(_ev, size) => update({ size })} />
                        </InputGroupItem>
                        <InputGroupItem isPlain className="virt-create-unit"><InputGroupText isPlain>{_("GiB")}</InputGroupText></InputGroupItem>
                    </InputGroup>
                    <FieldMessage field="storage.size_gib" errors={errors} warnings={warnings}
                                  {...cloud ? { hint: _("The copy of the image is grown to this size") } : {}} />
                </FormGroup>}
            {kind === "volume" &&
                <FormGroup label={_("Volume")} fieldId="create-storage-volume" isRequired>
                    <TextInput id="create-storage-volume" value={form.volume} spellCheck={false}
                               validated={validated("storage", errors, warnings)}
                               onChange={(_ev, volume) => update({ volume })} />
                    <FieldMessage field="storage" errors={errors} warnings={warnings} />
                </FormGroup>}
        </>
    );
}
