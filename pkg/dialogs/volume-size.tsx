// Asks for a new volume (name, size, format) or a volume's new size. Sizes in GiB or MiB; the helper checks
// them against the pool.

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

export interface VolumeSize { name: string; capacity: number; format: string }

interface Props {
    title: string;
    withName: boolean;
    available: number;
    current?: number;
    /** A disk pool's volumes are partitions: raw only. */
    rawOnly?: boolean;
}

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

function VolumeSizeDialog({ title, withName, available, current, rawOnly = false, onDone }: Props & { onDone: (v: VolumeSize | null) => void }) {
    const [name, setName] = useState("");
    const [size, setSize] = useState(current ? String(Math.ceil(current / MIB)) : "1024");
    const [format, setFormat] = useState(rawOnly ? "raw" : "qcow2");
    const capacity = Math.round(Number(size) * MIB);
    const valid = Number.isFinite(capacity) && capacity > 0 && (!withName || name !== "");
    return (
        <Modal isOpen variant="small" onClose={() => onDone(null)} aria-labelledby="virt-volume-size-title"
               data-test="volume-size-dialog">
            <ModalHeader title={title} labelId="virt-volume-size-title" />
            <ModalBody>
                <Form id="virt-volume-size-form" onSubmit={ev => { ev.preventDefault(); if (valid) onDone({ name, capacity, format }) }}>
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
