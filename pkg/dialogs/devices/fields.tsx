// Small fields the device dialogs share: a size with a unit, a select, a storage pool choice.

import { FormGroup } from "@patternfly/react-core/dist/esm/components/Form/index.js";
import { FormSelect, FormSelectOption } from "@patternfly/react-core/dist/esm/components/FormSelect/index.js";
import { TextInput } from "@patternfly/react-core/dist/esm/components/TextInput/index.js";
import { Flex, FlexItem } from "@patternfly/react-core/dist/esm/layouts/Flex/index.js";
import { useEffect, useState } from "react";

import { type CreateOptions, fetchCreateOptions } from "../../client/create.ts";
import { runPoolAction } from "../../client/resource-ops.ts";
import { formatBytes } from "../../format.ts";

const _ = cockpit.gettext;

export const UNITS = { MiB: 2 ** 20, GiB: 2 ** 30, TiB: 2 ** 40 } as const;
export type Unit = keyof typeof UNITS;

/** Bytes from what was typed; anything that is not a number goes to the helper as 0, which it refuses. */
export function toBytes(text: string, unit: Unit): number {
    const value = Number(text.trim().replace(",", "."));
    return Number.isFinite(value) ? Math.round(value * UNITS[unit]) : 0;
}

export function SizeField({ id, label, value, unit, onChange }: {
    id: string; label: string; value: string; unit: Unit; onChange: (value: string, unit: Unit) => void;
}) {
    return (
        <FormGroup label={label} fieldId={id} isRequired>
            <Flex spaceItems={{ default: "spaceItemsSm" }} flexWrap={{ default: "nowrap" }}>
                <FlexItem grow={{ default: "grow" }}>
                    <TextInput id={id} value={value} inputMode="decimal" onChange={(_ev, v) => onChange(v, unit)} />
                </FlexItem>
                <FlexItem>
                    <FormSelect id={`${id}-unit`} value={unit} aria-label={_("Unit")}
                                onChange={(_ev, v) => onChange(value, v as Unit)}>
                        {Object.keys(UNITS).map(u => <FormSelectOption key={u} value={u} label={u} />)}
                    </FormSelect>
                </FlexItem>
            </Flex>
        </FormGroup>
    );
}

export function SelectField({ id, label, value, choices, onChange }: {
    id: string; label: string; value: string; choices: readonly { value: string; label: string }[];
    onChange: (value: string) => void;
}) {
    return (
        <FormGroup label={label} fieldId={id}>
            <FormSelect id={id} value={value} onChange={(_ev, v) => onChange(v)}>
                {choices.map(c => <FormSelectOption key={c.value} value={c.value} label={c.label} />)}
            </FormSelect>
        </FormGroup>
    );
}

/** The host's pools, networks and bridges (create-options), once per dialog. */
export function useHostOptions(uri: string): CreateOptions | null {
    const [options, setOptions] = useState<CreateOptions | null>(null);
    useEffect(() => {
        let live = true;
        fetchCreateOptions(uri).then(o => { if (live) setOptions(o) },
                                     (ex: unknown) => console.warn("virt: create-options", ex));
        return () => { live = false };
    }, [uri]);
    return options;
}

export function PoolField({ id, options, value, onChange }: {
    id: string; options: CreateOptions | null; value: string; onChange: (value: string) => void;
}) {
    const pools = (options?.pools ?? []).filter(p => p.active);
    const first = pools.at(0)?.name;
    useEffect(() => {
        if (!value && first)
            onChange(first);
    }, [value, first, onChange]);
    return (
        <SelectField id={id} label={_("Storage pool")} value={value} onChange={onChange}
                     choices={pools.length > 0
                         ? pools.map(p => ({ value: p.name, label: p.name }))
                         : [{ value: "", label: options ? _("No active storage pool") : _("Loading…") }]} />
    );
}

interface PoolVolume { name: string; capacity: number; format: string | null; usedBy: string[] }

/** The pool's volumes (op `pool` action `volumes`), listed again when the pool changes; `null` while loading. */
function usePoolVolumes(uri: string, pool: string): PoolVolume[] | null {
    const [listed, setListed] = useState<{ pool: string; volumes: PoolVolume[] } | null>(null);
    useEffect(() => {
        let live = true;
        if (!pool)
            return;
        runPoolAction(uri, pool, "volumes").then(
            r => { if (live) setListed({ pool, volumes: (r.volumes as PoolVolume[] | undefined) ?? [] }) },
            (ex: unknown) => { console.warn("virt: volumes of", pool, ex); if (live) setListed({ pool, volumes: [] }) });
        return () => { live = false };
    }, [uri, pool]);
    // What was listed for another pool is not shown while this one's list is on its way.
    return listed?.pool === pool ? listed.volumes : null;
}

/** An existing volume of `pool`: its name, size and which VMs use it already. */
export function VolumeField({ id, uri, pool, value, onChange }: {
    id: string; uri: string; pool: string; value: string; onChange: (value: string) => void;
}) {
    const volumes = usePoolVolumes(uri, pool);
    const first = volumes?.at(0)?.name;
    useEffect(() => {
        if (volumes && first && !volumes.some(v => v.name === value))
            onChange(first);
    }, [volumes, first, value, onChange]);
    const label = (v: PoolVolume) => {
        const used = v.usedBy.length > 0 ? cockpit.format(_(", used by $0"), v.usedBy.join(", ")) : "";
        return `${v.name} (${formatBytes(v.capacity)}${v.format ? `, ${v.format}` : ""}${used})`;
    };
    return (
        <SelectField id={id} label={_("Volume")} value={value} onChange={onChange}
                     choices={volumes && volumes.length > 0
                         ? volumes.map(v => ({ value: v.name, label: label(v) }))
                         : [{ value: "", label: volumes ? _("The pool has no volumes") : _("Loading…") }]} />
    );
}
