// The create / import dialog (issue 5): the form's state, the page's and the helper's validation merged per
// field, OS detection, then the `create` channel with progress. Opened by the routes #/create and #/import.

import { Alert } from "@patternfly/react-core/dist/esm/components/Alert/index.js";
import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { Form, FormGroup } from "@patternfly/react-core/dist/esm/components/Form/index.js";
import { FormSelect, FormSelectOption } from "@patternfly/react-core/dist/esm/components/FormSelect/index.js";
import { Modal, ModalBody, ModalFooter, ModalHeader } from "@patternfly/react-core/dist/esm/components/Modal/index.js";
import { TextInput } from "@patternfly/react-core/dist/esm/components/TextInput/index.js";
import type React from "react";
import { useCallback, useMemo, useRef, useState } from "react";

import { type Progress, validateOnHost } from "../../client/create.ts";
import { OpError } from "../../client/one-shot.ts";
import { detectOs } from "../../client/osinfo.ts";
import { connectionLabel } from "../../connections.ts";
import { useConnections } from "../../store/hooks.ts";
import { FailureDetail } from "../../views/failure-detail.tsx";

import { AdvancedFields } from "./advanced-fields.tsx";
import { CloudFields } from "./cloud-fields.tsx";
import { type Prefill, initialForm, prefillEdited, withOptions, withOs } from "./defaults.ts";
import { FieldMessage, validated } from "./field-message.tsx";
import { type CreateForm, FIELD_IDS, FIELD_ORDER, type Field, type Messages, isField, toSpec } from "./form.ts";
import { NetworkFields } from "./network-fields.tsx";
import { OsPicker, isMenuEscape } from "./os-picker.tsx";
import { CreateProgress } from "./progress.tsx";
import { ResourcesFields } from "./resources-fields.tsx";
import { runCreation } from "./run-creation.ts";
import { SourceFields } from "./source-fields.tsx";
import { StorageFields } from "./storage-fields.tsx";
import { useCreateOptions, useOsList } from "./use-create-data.ts";
import { useDebouncedAnswer } from "./use-debounced.ts";
import { useExistingNames } from "./use-existing-names.ts";
import { useOnChange } from "./use-on-change.ts";
import { validateForm } from "./validate.ts";

const _ = cockpit.gettext;

/** Which field a change of each form key touches: its messages show from then on. */
const TOUCHES: Partial<Record<keyof CreateForm, Field>> = {
    name: "name", os: "os", source: "source", pxe: "source", login: "source.user.login",
    password: "source.user.password", sshKeys: "source.user.ssh_keys", rootPassword: "source.root_password",
    hostname: "source.hostname", memory: "memory_mib", memoryUnit: "memory_mib", vcpus: "vcpus",
    storageKind: "storage", volume: "storage", pool: "storage.pool", size: "storage.size_gib", network: "network",
    virtType: "virt_type", firmware: "firmware",
};

type Phase =
    { kind: "form"; alert: { variant: "danger" | "info"; title: string; text?: string; detail?: string } | null } |
    { kind: "creating"; progress: Progress | null; cancel: () => void };

interface Props {
    prefill: Prefill;
    onClose: () => void;
}

export function CreateVmDialog({ prefill, onClose }: Props) {
    const connections = useConnections();
    const [form, setForm] = useState<CreateForm>(() => initialForm(prefill, connections[0]?.uri ?? "qemu:///system"));
    const [edited, setEdited] = useState<ReadonlySet<keyof CreateForm>>(() => prefillEdited(prefill));
    const [touched, setTouched] = useState<ReadonlySet<Field>>(() => new Set());
    const [submitted, setSubmitted] = useState(false);
    const [phase, setPhase] = useState<Phase>({ kind: "form", alert: null });
    const osMenuOpen = useRef(false);
    // What the helper refused at the last submit, until the field changes.
    const [createErrors, setCreateErrors] = useState<Messages>({});

    const oses = useOsList();
    const options = useCreateOptions(form.uri);
    const existingNames = useExistingNames(form.uri);
    const osList = useMemo(() => oses.value ?? [], [oses.value]);

    // A deep link may open the dialog before the connections are known: follow the first one until chosen.
    useOnChange(connections[0]?.uri, firstUri => {
        if (firstUri && !edited.has("uri"))
            setForm(f => ({ ...f, uri: firstUri }));
    });
    // Host defaults once the host has answered; OS defaults whenever the OS changes (or the list arrives).
    const hostOptions = options.value;
    useOnChange(hostOptions, value => {
        if (value)
            setForm(f => withOptions(f, value, edited));
    });
    const chosenOs = osList.find(os => os.short_id === form.os) ?? null;
    // Again when the list arrives and knows the OS a link named.
    useOnChange(`${form.os ?? ""} ${chosenOs ? "known" : ""}`,
                () => setForm(f => withOs(f, chosenOs, edited, existingNames, hostOptions)), true);

    const update = useCallback((patch: Partial<CreateForm>) => {
        const keys = Object.keys(patch) as (keyof CreateForm)[];
        setForm(f => ({ ...f, ...patch }));
        setEdited(e => new Set([...e, ...keys]));
        setTouched(t => {
            const next = new Set(t);
            // A new kind of source starts empty: "enter a path" is not news yet.
            const newKind = keys.includes("sourceKind");
            for (const key of keys) {
                const field = TOUCHES[key];
                if (field && !(newKind && field === "source"))
                    next.add(field);
            }
            if (newKind)
                next.delete("source");
            return next;
        });
        setCreateErrors(errors => {
            const fields = keys.map(key => TOUCHES[key]);
            return Object.fromEntries(Object.entries(errors).filter(([field]) => !fields.includes(field as Field)));
        });
    }, []);

    // OS detection from media or a URL; its answer is used unless the user picked an OS.
    const detectKey = useMemo(() => {
        const source = form.source.trim();
        if (form.sourceKind === "iso" && source.startsWith("/") && !source.endsWith("/"))
            return JSON.stringify({ media: source });
        if (form.sourceKind === "url" && /^https?:\/\/\S+$/i.test(source))
            return JSON.stringify({ url: source });
        return null;
    }, [form.sourceKind, form.source]);
    const askDetect = useCallback((key: string, signal: AbortSignal) =>
        detectOs(JSON.parse(key) as { media: string } | { url: string }, signal), []);
    const detection = useDebouncedAnswer(detectKey, 600, askDetect);
    const detectAnswer = detection?.key === detectKey ? detection.answer : null;
    const detected = detectAnswer?.detected ?? null;
    useOnChange(detected, found => {
        if (found && !edited.has("os"))
            setForm(f => ({ ...f, os: found.short_id }));
    });

    // The page's rules, then the helper's answer for the same spec on the fields the page finds fine.
    const ctx = useMemo(() => {
        const pool = hostOptions?.pools.find(p => p.name === form.pool);
        return {
            existingNames,
            hostMemoryMib: hostOptions?.host.memory_mib ?? null,
            hostCpus: hostOptions?.host.cpus ?? null,
            poolAvailable: pool && pool.capacity > 0 ? pool.available : null,
            kvm: hostOptions?.kvm ?? null,
        };
    }, [existingNames, hostOptions, form.pool]);
    const local = useMemo(() => validateForm(form, ctx), [form, ctx]);
    const hostKey = hostOptions && phase.kind === "form"
        ? JSON.stringify({ uri: form.uri, spec: toSpec(form, true) }) : null;
    const askHost = useCallback((key: string, signal: AbortSignal) => {
        const { uri, spec } = JSON.parse(key) as { uri: string; spec: ReturnType<typeof toSpec> };
        return validateOnHost(uri, spec, signal).catch((err: unknown) => {
            if (err instanceof OpError && err.problem === "not-supported")
                return { errors: {}, warnings: {} };
            throw err;
        });
    }, []);
    const hostResult = useDebouncedAnswer(hostKey, 400, askHost);
    const hostAnswer = hostResult?.answer ?? null;

    // An answer about an older spec still shows (no flicker while typing) but does not block a submit: the
    // helper checks the submitted spec again anyway.
    const shown: Messages = { ...pick(hostAnswer?.errors), ...createErrors, ...local.errors };
    const blocking: Messages = hostResult?.key === hostKey ? shown : { ...createErrors, ...local.errors };
    const warnings: Messages = { ...pick(hostAnswer?.warnings), ...local.warnings };
    if (detectAnswer?.bootable === false && !warnings.source)
        warnings.source = _("This ISO image is not bootable: the VM cannot start its installer from it");
    const shownErrors: Messages = {};
    for (const field of FIELD_ORDER) {
        const error = shown[field];
        if (error && (submitted || isShown(field, touched)))
            shownErrors[field] = error;
    }

    const submit = (run: boolean) => {
        if (phase.kind !== "form")
            return;
        const firstInvalid = FIELD_ORDER.find(field => blocking[field]);
        if (firstInvalid) {
            setSubmitted(true);
            document.getElementById(FIELD_IDS[firstInvalid])?.focus();
            return;
        }
        setCreateErrors({});
        runCreation(form.uri, toSpec(form, run), {
            onStart: cancel => setPhase({ kind: "creating", progress: null, cancel }),
            onProgress: progress => setPhase(p => p.kind === "creating" ? { ...p, progress } : p),
            onCancelled: () => setPhase({ kind: "form", alert: { variant: "info", title: _("Cancelled; nothing was left behind") } }),
            onFailed: (err: OpError) => {
                setCreateErrors(pick(err.errors));
                setSubmitted(true);
                setPhase({
                    kind: "form",
                    alert: { variant: "danger", title: _("The VM could not be created"), text: err.message, ...err.detail ? { detail: err.detail } : {} },
                });
            },
        });
    };

    const close = () => {
        if (phase.kind === "creating")
            phase.cancel();
        onClose();
    };

    // Enter in a text field submits ("Create and run"); text areas and the OS picker keep their Enter.
    const onKeyDown = (ev: React.KeyboardEvent<HTMLFormElement>) => {
        if (ev.key === "Enter" && !ev.defaultPrevented && ev.target instanceof HTMLInputElement &&
            ev.target.type !== "checkbox") {
            ev.preventDefault();
            submit(true);
        }
    };

    const importing = form.sourceKind === "import";
    const fieldProps = { form, update, errors: shownErrors, warnings };
    const optionsProblem = options.error &&
        (options.unsupported ? _("This version of the helper cannot create VMs.") : options.error);

    return (
        <Modal isOpen variant="medium" onClose={close} aria-labelledby="create-title" data-test="create-dialog"
               data-loaded={!oses.loading && !options.loading}
               onEscapePress={ev => { if (!isMenuEscape(ev, osMenuOpen.current)) close() }}
               className="virt-create-dialog">
            <ModalHeader title={importing ? _("Import a virtual machine") : _("Create a virtual machine")}
                         labelId="create-title" />
            <ModalBody>
                {phase.kind === "creating"
                    ? <CreateProgress name={form.name} progress={phase.progress} />
                    : (
                        <Form id="create-vm-form" isHorizontal onSubmit={ev => { ev.preventDefault(); submit(true) }}
                              onKeyDown={onKeyDown} noValidate>
                            {phase.alert &&
                                <Alert isInline variant={phase.alert.variant} title={phase.alert.title}
                                       className="virt-create-alert">
                                    {phase.alert.text}
                                    {phase.alert.detail && <FailureDetail detail={phase.alert.detail} />}
                                </Alert>}
                            {optionsProblem &&
                                <Alert isInline variant="warning" title={_("The host's options could not be read")}>
                                    {optionsProblem}
                                </Alert>}
                            {connections.length > 1 &&
                                <FormGroup label={_("Connection")} fieldId="create-connection">
                                    <FormSelect id="create-connection" value={form.uri}
                                                onChange={(_ev, uri) => update({ uri })}>
                                        {connections.map(c =>
                                            <FormSelectOption key={c.uri} value={c.uri} label={connectionLabel(c.uri)} />)}
                                    </FormSelect>
                                </FormGroup>}
                            <FormGroup label={_("Name")} fieldId="create-name" isRequired>
                                <TextInput id="create-name" value={form.name} autoComplete="off" spellCheck={false}
                                           validated={validated("name", shownErrors, warnings)}
                                           onChange={(_ev, name) => update({ name })} />
                                <FieldMessage field="name" errors={shownErrors} warnings={warnings} />
                            </FormGroup>
                            <SourceFields {...fieldProps} options={hostOptions} />
                            <OsPicker oses={osList} loading={oses.loading} value={form.os} menuOpenRef={osMenuOpen}
                                      onChange={os => update({ os })} errors={shownErrors} warnings={warnings}
                                      detect={{
                                          busy: detectKey !== null && detection?.key !== detectKey,
                                          found: detected?.name ?? null,
                                      }}
                                      listProblem={oses.error ?? oses.message} />
                            {form.sourceKind === "cloud" && <CloudFields {...fieldProps} />}
                            <ResourcesFields {...fieldProps} options={hostOptions} />
                            <StorageFields {...fieldProps} options={hostOptions} />
                            <NetworkFields {...fieldProps} options={hostOptions} />
                            <AdvancedFields {...fieldProps} options={hostOptions} />
                        </Form>
                    )}
            </ModalBody>
            <ModalFooter>
                {phase.kind === "form" &&
                    <>
                        <Button id="create-and-run" variant="primary" onClick={() => submit(true)}>
                            {importing ? _("Import and run") : _("Create and run")}
                        </Button>
                        <Button id="create-and-edit" variant="secondary" onClick={() => submit(false)}>
                            {importing ? _("Import and edit") : _("Create and edit")}
                        </Button>
                    </>}
                <Button id="create-cancel" variant="link"
                        onClick={phase.kind === "creating" ? phase.cancel : onClose}>
                    {_("Cancel")}
                </Button>
            </ModalFooter>
        </Modal>
    );
}

/** The messages of the fields the page knows, from a FIELD → message record of the helper's. */
function pick(record: Record<string, string> | Readonly<Record<string, string>> | undefined): Messages {
    const messages: Messages = {};
    for (const [key, message] of Object.entries(record ?? {})) {
        if (isField(key))
            messages[key] = message;
        else if (key.startsWith("source.") && !messages.source)
            messages.source = message;
    }
    return messages;
}

/** An error shows once its field was touched; cloud-init's cross-field rules once any of them was. */
function isShown(field: Field, touched: ReadonlySet<Field>): boolean {
    if (touched.has(field))
        return true;
    if (field.startsWith("source.user.") || field === "source.root_password")
        return [...touched].some(t => t.startsWith("source.user.") || t === "source.root_password");
    // What the host refuses there is no typing mistake: say it at once.
    if (field === "virt_type" || field === "firmware")
        return true;
    return false;
}
