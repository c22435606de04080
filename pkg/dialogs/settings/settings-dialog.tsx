// The frame every settings dialog shares: it reads the VM's current settings and the host's limits from the
// helper, asks the helper about each edit as it is typed (errors and warnings by field: the helper is the one
// authority), saves through op `settings`, and shows libvirt's message when saving fails.

import { Alert } from "@patternfly/react-core/dist/esm/components/Alert/index.js";
import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { Form } from "@patternfly/react-core/dist/esm/components/Form/index.js";
import { Modal, ModalBody, ModalFooter, ModalHeader } from "@patternfly/react-core/dist/esm/components/Modal/index.js";
import { Spinner } from "@patternfly/react-core/dist/esm/components/Spinner/index.js";
import type React from "react";
import { useCallback, useEffect, useState } from "react";

import { OpError } from "../../client/one-shot.ts";
import { type SettingsChange, type SettingsCheck, type SettingsResult, applySettings, checkSettings } from "../../client/settings.ts";
import type { Vm } from "../../types.ts";
import { useDebouncedAnswer } from "../create-vm/use-debounced.ts";

const _ = cockpit.gettext;

export type Messages = Readonly<Record<string, string>>;

/** What a form asks for: the change, and fields the page could not even read (not a number). */
export interface Request {
    change: SettingsChange;
    unreadable: Messages;
}

export interface FieldsProps<F> {
    form: F;
    setForm: (form: F) => void;
    check: SettingsCheck;
    errors: Messages;
    warnings: Messages;
}

interface Props<F> {
    vm: Vm;
    id: string;
    title: string;
    init: (check: SettingsCheck) => F;
    request: (form: F, check: SettingsCheck) => Request;
    Fields: (props: FieldsProps<F>) => React.ReactNode;
    onDone: (result: SettingsResult | null) => void;
}

export function SettingsDialog<F>({ vm, id, title, init, request, Fields, onDone }: Props<F>) {
    const [check, setCheck] = useState<SettingsCheck | null>(null);
    const [form, setForm] = useState<F | null>(null);
    const [loadError, setLoadError] = useState<string | null>(null);
    const [saving, setSaving] = useState(false);
    const [failure, setFailure] = useState<string | null>(null);
    const [refused, setRefused] = useState<{ key: string; errors: Messages; warnings: Messages } | null>(null);

    useEffect(() => {
        checkSettings(vm.uri, vm.id).then(answer => {
            setCheck(answer);
            setForm(init(answer));
        }, (ex: unknown) => setLoadError(ex instanceof Error ? ex.message : String(ex)));
        // Read once per dialog: later edits elsewhere show up in the helper's verdicts.
        // eslint-disable-next-line react-hooks/exhaustive-deps
    }, []);

    const req = check && form ? request(form, check) : null;
    const key = req && Object.keys(req.unreadable).length === 0 ? JSON.stringify(req.change) : null;
    const ask = useCallback((k: string) => checkSettings(vm.uri, vm.id, JSON.parse(k) as SettingsChange), [vm.uri, vm.id]);
    const verdict = useDebouncedAnswer(key, 250, ask);
    const current = verdict?.key === key ? verdict.answer : null;
    const refusedNow = refused?.key === key ? refused : null;
    const errors: Messages = { ...current?.errors, ...refusedNow?.errors, ...req?.unreadable };
    const warnings: Messages = { ...current?.warnings, ...refusedNow?.warnings };
    const unchanged = key === "{}";

    const save = () => {
        if (!req || key === null)
            return;
        setSaving(true);
        setFailure(null);
        applySettings(vm.uri, vm.id, req.change).then(onDone, (ex: unknown) => {
            setSaving(false);
            if (ex instanceof OpError && Object.keys(ex.errors).length > 0)
                setRefused({ key, errors: ex.errors, warnings: {} });
            else
                setFailure(ex instanceof Error ? ex.message : String(ex));
        });
    };

    let body: React.ReactNode;
    if (loadError)
        body = <Alert variant="danger" isInline isPlain title={loadError} />;
    else if (!check || !form)
        body = <Spinner size="lg" aria-label={_("Loading")} />;
    else
        body = (
            <Form id={`${id}-form`} onSubmit={ev => { ev.preventDefault(); save() }}>
                <Fields form={form} setForm={setForm} check={check} errors={errors} warnings={warnings} />
                {failure && <Alert variant="danger" isInline title={_("Could not save")} className="virt-settings-failure">{failure}</Alert>}
            </Form>
        );

    return (
        <Modal isOpen variant="small" onClose={() => onDone(null)} aria-labelledby={`${id}-title`} id={id}>
            <ModalHeader title={title} labelId={`${id}-title`} />
            <ModalBody>{body}</ModalBody>
            <ModalFooter>
                <Button variant="primary" form={`${id}-form`} type="submit" isLoading={saving}
                        isDisabled={!req || key === null || saving || unchanged || Object.keys(errors).length > 0}>
                    {_("Save")}
                </Button>
                <Button variant="link" onClick={() => onDone(null)}>{_("Cancel")}</Button>
            </ModalFooter>
        </Modal>
    );
}

/** A whole number typed into a field, or null. */
export function wholeNumber(text: string): number | null {
    return /^\s*\d{1,15}\s*$/.test(text) ? Number(text) : null;
}
