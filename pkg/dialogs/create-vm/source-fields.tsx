// Where the VM comes from: install media on the host, a URL, network boot, a cloud image (its cloud-init
// settings are in cloud-fields.tsx), or an existing disk image. Switching the kind clears the source (a path is not a URL) but keeps the
// passwords (cockpit-machines BZ 2109986).

import { Checkbox } from "@patternfly/react-core/dist/esm/components/Checkbox/index.js";
import { FormGroup } from "@patternfly/react-core/dist/esm/components/Form/index.js";
import { FormSelect, FormSelectOption } from "@patternfly/react-core/dist/esm/components/FormSelect/index.js";
import { TextInput } from "@patternfly/react-core/dist/esm/components/TextInput/index.js";

import type { CreateOptions } from "../../client/create.ts";

import { FieldMessage, validated } from "./field-message.tsx";
import type { FieldsProps, SourceKind } from "./form.ts";
import { PathInput } from "./path-input.tsx";

const _ = cockpit.gettext;

export const SOURCE_KINDS: readonly { value: SourceKind; label: string }[] = [
    { value: "iso", label: _("Local install media (ISO image)") },
    { value: "url", label: _("URL: an ISO image or an install tree") },
    { value: "pxe", label: _("Network boot (PXE)") },
    { value: "cloud", label: _("Cloud base image") },
    { value: "import", label: _("Existing disk image") },
];

const ISO_FILES = [".iso", ".img"];
const DISK_FILES = [".qcow2", ".img", ".raw", ".qcow"];

/** PXE choices this host offers: its virtual networks, then its bridges. */
export function pxeChoices(options: CreateOptions | null): { value: string; label: string }[] {
    if (!options)
        return [];
    return [
        ...options.networks.map(n => ({
            value: `network:${n.name}`,
            label: n.active ? cockpit.format(_("Virtual network $0"), n.name)
                : cockpit.format(_("Virtual network $0 (inactive)"), n.name),
        })),
        ...options.bridges.map(b => ({ value: `bridge:${b}`, label: cockpit.format(_("Bridge $0"), b) })),
    ];
}

interface Props extends FieldsProps {
    options: CreateOptions | null;
}

export function SourceFields({ form, update, errors, warnings, options }: Props) {
    const kind = form.sourceKind;
    const state = validated("source", errors, warnings);
    const pxe = pxeChoices(options);
    const pools = options?.pools ?? [];

    let sourceInput;
    if (kind === "url") {
        sourceInput = <TextInput id="create-source" type="url" value={form.source} validated={state}
                                 placeholder={_("http://example.com/install.iso or http://example.com/os/")} spellCheck={false}
                                 onChange={(_ev, source) => update({ source })} />;
    } else if (kind === "pxe") {
        sourceInput = (
            <FormSelect id="create-source" value={form.pxe} validated={state}
                        onChange={(_ev, value) => update({ pxe: value })} aria-label={_("Boot from")}>
                <FormSelectOption value="" label={pxe.length ? _("Choose a network") : _("No network or bridge")}
                                  isPlaceholder isDisabled />
                {pxe.map(c => <FormSelectOption key={c.value} value={c.value} label={c.label} />)}
            </FormSelect>
        );
    } else {
        sourceInput = <PathInput id="create-source" value={form.source} onChange={source => update({ source })}
                                 validated={state} extensions={kind === "iso" ? ISO_FILES : DISK_FILES}
                                 placeholder={kind === "iso" ? _("/var/lib/libvirt/images/install.iso")
                                     : _("/var/lib/libvirt/images/disk.qcow2")} />;
    }

    const sourceLabel = { iso: _("Installation media"), url: _("Installation source"), pxe: _("Boot from"),
                          cloud: _("Cloud image"), import: _("Disk image") }[kind];

    return (
        <>
            <FormGroup label={_("Source")} fieldId="create-source-kind">
                <FormSelect id="create-source-kind" value={kind}
                            onChange={(_ev, value) => update({ sourceKind: value as SourceKind, source: "", pxe: "" })}>
                    {SOURCE_KINDS.map(k => <FormSelectOption key={k.value} value={k.value} label={k.label} />)}
                </FormSelect>
            </FormGroup>
            <FormGroup label={sourceLabel} fieldId="create-source" isRequired>
                {sourceInput}
                <FieldMessage field="source" errors={errors} warnings={warnings} />
            </FormGroup>
            {kind === "import" &&
                <FormGroup fieldId="create-import-copy">
                    <Checkbox id="create-import-copy" isChecked={form.copyToPool !== null}
                              label={_("Copy the disk into a storage pool")}
                              description={_("Otherwise the VM uses the image where it is")}
                              onChange={(_ev, checked) => update({ copyToPool: checked ? form.pool || "default" : null })} />
                    {form.copyToPool !== null && pools.length > 0 &&
                        <FormSelect id="create-import-pool" value={form.copyToPool} aria-label={_("Storage pool")}
                                    onChange={(_ev, copyToPool) => update({ copyToPool })}>
                            {pools.map(p => <FormSelectOption key={p.name} value={p.name} label={p.name} />)}
                        </FormSelect>}
                </FormGroup>}
        </>
    );
}
