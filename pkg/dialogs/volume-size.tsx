// Asks for a new volume (name, size, format, and for qcow2 optionally a backing volume of the same pool, which
// makes it an overlay) or a volume's new size. Sizes in MiB; the helper checks them, and the backing volume,
// against the pool.

import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { Form, FormGroup, FormHelperText } from "@patternfly/react-core/dist/esm/components/Form/index.js";
import { FormSelect, FormSelectOption } from "@patternfly/react-core/dist/esm/components/FormSelect/index.js";
import { HelperText, HelperTextItem } from "@patternfly/react-core/dist/esm/components/HelperText/index.js";
import { Modal, ModalBody, ModalFooter, ModalHeader } from "@patternfly/react-core/dist/esm/components/Modal/index.js";
import { TextInput } from "@patternfly/react-core/dist/esm/components/TextInput/index.js";
import { Flex, FlexItem } from "@patternfly/react-core/dist/esm/layouts/Flex/index.js";
import { useState } from "react";

import { formatBytes } from "../format.ts";

import { openDialog } from "./dialog-host.tsx";

const _ = cockpit.gettext;

export interface VolumeSize { name: string; capacity: number; format: string; backing: string | null }

/** A volume of the pool a new qcow2 volume may overlay. */
export interface BackingChoice { name: string; format: string | null; capacity: number }

interface Props {
    title: string;
    withName: boolean;
    available: number;
    current?: number;
    /** A disk pool's volumes are partitions: raw only. */
    rawOnly?: boolean;
    /** The pool's volumes, offered as backing volume of a new qcow2 volume. */
    backingChoices?: readonly BackingChoice[];
}

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

function VolumeSizeDialog({ title, withName, available, current, rawOnly = false, backingChoices = [], onDone }: Props & { onDone: (v: VolumeSize | null) => void }) {
    const [name, setName] = useState("");
    const [size, setSize] = useState(current ? String(Math.ceil(current / MIB)) : "1024");
    const [format, setFormat] = useState(rawOnly ? "raw" : "qcow2");
    const [backing, setBacking] = useState("");
    const capacity = Math.round(Number(size) * MIB);
    const valid = Number.isFinite(capacity) && capacity > 0 && (!withName || name !== "");
    const overlay = withName && format === "qcow2" && backingChoices.length > 0;
    const chooseBacking = (choice: string) => {
        setBacking(choice);
        // An overlay is at least as big as what it overlays: start from the backing volume's size.
        const picked = backingChoices.find(b => b.name === choice);
        if (picked && capacity < picked.capacity)
            setSize(String(Math.ceil(picked.capacity / MIB)));
    };
    const done = () => onDone({ name, capacity, format, backing: overlay && backing ? backing : null });
    return (
        <Modal isOpen variant="small" onClose={() => onDone(null)} aria-labelledby="virt-volume-size-title"
               data-test="volume-size-dialog">
            <ModalHeader title={title} labelId="virt-volume-size-title" />
            <ModalBody>
                <Form id="virt-volume-size-form" onSubmit={ev => { ev.preventDefault(); if (valid) done() }}>
                    {withName &&
                        <FormGroup label={_("Name")} isRequired fieldId="volume-name">
                            <TextInput id="volume-name" value={name} onChange={(_ev, v) => setName(v)} />
                        </FormGroup>}
                    <FormGroup label={_("Size (MiB)")} isRequired fieldId="volume-size">
                        <Flex flexWrap={{ default: "nowrap" }}>
                            <FlexItem grow={{ default: "grow" }}>
                                <TextInput id="volume-size" type="number" value={size} onChange={(_ev, v) => setSize(v)} />
                            </FlexItem>
                        </Flex>
                        <FormHelperText>
                            <HelperText>
                                <HelperTextItem>
                                    {cockpit.format(_("$0 available in the pool"), formatBytes(available))}
                                    {capacity >= GIB ? " · " + formatBytes(capacity) : ""}
                                </HelperTextItem>
                            </HelperText>
                        </FormHelperText>
                    </FormGroup>
                    {withName &&
                        <FormGroup label={_("Format")} fieldId="volume-format">
                            <FormSelect id="volume-format" value={format} onChange={(_ev, v) => setFormat(v)}>
                                {!rawOnly && <FormSelectOption value="qcow2" label="qcow2" />}
                                <FormSelectOption value="raw" label="raw" />
                            </FormSelect>
                        </FormGroup>}
                    {overlay &&
                        <FormGroup label={_("Backing volume")} fieldId="volume-backing">
                            <FormSelect id="volume-backing" value={backing} onChange={(_ev, v) => chooseBacking(v)}>
                                <FormSelectOption value="" label={_("None")} />
                                {backingChoices.map(b => (
                                    <FormSelectOption key={b.name} value={b.name}
                                                      label={`${b.name} (${b.format ?? "?"}, ${formatBytes(b.capacity)})`} />))}
                            </FormSelect>
                            <FormHelperText>
                                <HelperText>
                                    <HelperTextItem>
                                        {_("The new volume starts as a copy-on-write overlay of this volume, which must stay unchanged.")}
                                    </HelperTextItem>
                                </HelperText>
                            </FormHelperText>
                        </FormGroup>}
                </Form>
            </ModalBody>
            <ModalFooter>
                <Button variant="primary" type="submit" form="virt-volume-size-form" isDisabled={!valid} id="volume-size-submit">
                    {withName ? _("Create") : _("Resize")}
                </Button>
                <Button variant="link" onClick={() => onDone(null)}>{_("Cancel")}</Button>
            </ModalFooter>
        </Modal>
    );
}

export function showVolumeSizeDialog(props: Props): Promise<VolumeSize | null> {
    return openDialog<VolumeSize | null>(done => <VolumeSizeDialog {...props} onDone={done} />);
}
