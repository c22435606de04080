// Migrating a VM to another host: where (one of the user's saved connections, or a typed libvirt URI), how (live, storage shared or copied, kept defined where),
// then libvirt's job progress with Cancel. A failure shows what went wrong by the helper's reason code, with
// libvirt's own message under it.

import { Alert } from "@patternfly/react-core/dist/esm/components/Alert/index.js";
import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { Checkbox } from "@patternfly/react-core/dist/esm/components/Checkbox/index.js";
import { Content } from "@patternfly/react-core/dist/esm/components/Content/index.js";
import { Form, FormGroup, FormHelperText } from "@patternfly/react-core/dist/esm/components/Form/index.js";
import { FormSelect, FormSelectOption } from "@patternfly/react-core/dist/esm/components/FormSelect/index.js";
import { HelperText, HelperTextItem } from "@patternfly/react-core/dist/esm/components/HelperText/index.js";
import { Modal, ModalBody, ModalFooter, ModalHeader } from "@patternfly/react-core/dist/esm/components/Modal/index.js";
import { Progress as ProgressBar } from "@patternfly/react-core/dist/esm/components/Progress/index.js";
import { Radio } from "@patternfly/react-core/dist/esm/components/Radio/index.js";
import { TextInput } from "@patternfly/react-core/dist/esm/components/TextInput/index.js";
import { Stack } from "@patternfly/react-core/dist/esm/layouts/Stack/index.js";
import { useEffect, useRef, useState } from "react";

import { type MigrateProgress, type MigrateStorage, type Migration, startMigration } from "../client/migrate.ts";
import { OpError } from "../client/one-shot.ts";
import { savedConnectionUris } from "../client/saved-connections.ts";
import { connectionLabel, remoteHost } from "../connections.ts";
import { formatBytes, formatRate } from "../format.ts";
import type { Vm } from "../types.ts";

import { openDialog } from "./dialog-host.tsx";

const _ = cockpit.gettext;

/** What each reason code means for the user; libvirt's message is shown under it. */
const REASON_TITLE: Record<string, string> = {
    "host-unreachable": _("The destination host cannot be reached"),
    "port-closed": _("The destination host refused the connection: is libvirt (or SSH) running there?"),
    "auth-failed": _("The destination host refused the login"),
    "no-such-pool": _("The destination has no storage pool for the VM's disks: create one with the same directory there"),
    "cpu-incompatible": _("The destination's CPU cannot run this VM"),
    "same-host": _("The destination is this host"),
    "storage-not-shared": _("libvirt cannot tell that the disks are on shared storage: copy the storage, or tick \"The destination sees the same disk files\""),
};

interface Failure {
    title: string;
    message: string;
    reason: string | null;
    cancelled: boolean;
}

function failureOf(ex: unknown): Failure {
    if (ex instanceof OpError) {
        const title = (ex.reason && REASON_TITLE[ex.reason]) ||
            (ex.problem === "terminated" ? _("The migration was cancelled; the VM stays on this host") : _("The VM could not be migrated"));
        return { title, message: ex.message, reason: ex.reason, cancelled: ex.problem === "terminated" };
    }
    return { title: _("The VM could not be migrated"), message: String(ex), reason: null, cancelled: false };
}

function ProgressView({ progress }: { progress: MigrateProgress | null }) {
    if (!progress || progress.phase === "connecting" || !progress.data_total)
        return <Content component="p">{_("Connecting to the destination…")}</Content>;
    const done = progress.data_processed ?? progress.data_total - (progress.data_remaining ?? progress.data_total);
    const details = [
        progress.memory_bps !== undefined ? cockpit.format(_("memory $0"), formatRate(progress.memory_bps)) : null,
        progress.dirty_rate !== undefined ? cockpit.format(_("dirtied $0"), formatRate(progress.dirty_rate)) : null,
        progress.phase === "post-copy" ? _("post-copy: running on the destination") : null,
    ].filter(Boolean).join(" · ");
    return (
        <Stack hasGutter>
            <ProgressBar value={Math.min(100, 100 * done / progress.data_total)} className="virt-migrate-progress"
                         title={_("Migrating")} measureLocation="outside"
                         label={cockpit.format(_("$0 of $1"), formatBytes(done), formatBytes(progress.data_total))} />
            {details && <Content component="small">{details}</Content>}
        </Stack>
    );
}

/** The destination select's value for "type a URI". */
const TYPED = "";

/** The user's saved remote connections other than the VM's own, in their saved order (none when unreadable). */
function useSavedDestinations(vmUri: string): string[] {
    const [uris, setUris] = useState<string[]>([]);
    useEffect(() => {
        let current = true;
        savedConnectionUris().then(
            list => { if (current) setUris(list.filter(uri => uri !== vmUri && remoteHost(uri) !== null)) },
            (ex: unknown) => console.warn("virt: cannot read the saved connections", ex));
        return () => { current = false };
    }, [vmUri]);
    return uris;
}

function MigrateDialog({ vm, onDone }: { vm: Vm; onDone: (destination: string | null) => void }) {
    const running = vm.state !== "shutoff";
    const saved = useSavedDestinations(vm.uri);
    const [picked, setPicked] = useState<string | null>(null);
    const [typed, setTyped] = useState("");
    // The first saved host until the user picks, unless they started typing a URI before the list came.
    const choice = picked ?? (typed === "" && saved[0] !== undefined ? saved[0] : TYPED);
    const destination = choice === TYPED ? typed.trim() : choice;
    const [storage, setStorage] = useState<MigrateStorage>("shared");
    const [live, setLive] = useState(true);
    const [persist, setPersist] = useState(true);
    const [undefineSource, setUndefineSource] = useState(false);
    const [bandwidth, setBandwidth] = useState("");
    const [autoConverge, setAutoConverge] = useState(false);
    const [postCopy, setPostCopy] = useState(false);
    const [unsafe, setUnsafe] = useState(false);
    const [progress, setProgress] = useState<MigrateProgress | null>(null);
    const [failure, setFailure] = useState<Failure | null>(null);
    const [busy, setBusy] = useState(false);
    const migration = useRef<Migration | null>(null);

    const bandwidthMib = bandwidth.trim() === "" ? null : Number(bandwidth);
    const bandwidthBad = bandwidthMib !== null && !(Number.isInteger(bandwidthMib) && bandwidthMib > 0);

    const submit = () => {
        setBusy(true);
        setFailure(null);
        setProgress(null);
        const m = startMigration(vm.uri, vm.id, {
            destination, live, storage, persist, undefine_source: undefineSource,
            bandwidth_mib: bandwidthMib, auto_converge: autoConverge, post_copy: postCopy, unsafe,
        }, setProgress);
        migration.current = m;
        m.channel.done.then(() => onDone(destination), (ex: unknown) => {
            migration.current = null;
            setBusy(false);
            setFailure(failureOf(ex));
        });
    };

    const close = () => {
        if (migration.current)
            migration.current.cancel();
        else
            onDone(null);
    };

    const storageRadio = (value: MigrateStorage, label: string, description: string) =>
        <Radio id={`virt-migrate-storage-${value}`} name="virt-migrate-storage" label={label} description={description}
               isChecked={storage === value} isDisabled={busy || (!running && value !== "shared")}
               onChange={() => setStorage(value)} />;

    return (
        <Modal isOpen variant="medium" onClose={close} aria-labelledby="virt-migrate-title" className="virt-migrate-dialog">
            <ModalHeader title={cockpit.format(_("Migrate $0"), vm.name)} labelId="virt-migrate-title" />
            <ModalBody>
                <Stack hasGutter>
                    <Form onSubmit={ev => { ev.preventDefault(); if (!busy && destination) submit() }}>
                        <FormGroup label={_("Destination")} isRequired
                                   fieldId={saved.length > 0 ? "virt-migrate-host" : "virt-migrate-destination"}>
                            {saved.length > 0 &&
                                <FormSelect id="virt-migrate-host" value={choice} isDisabled={busy}
                                            onChange={(_ev, v) => setPicked(v)}>
                                    {saved.map(uri => <FormSelectOption key={uri} value={uri} label={connectionLabel(uri)} />)}
                                    <FormSelectOption value={TYPED} label={_("Another host (libvirt URI)")} />
                                </FormSelect>}
                            {choice === TYPED &&
                                <TextInput id="virt-migrate-destination" value={typed} isDisabled={busy}
                                           aria-label={_("Destination URI")}
                                           placeholder="qemu+ssh://root@host.example.com/system"
                                           onChange={(_ev, v) => setTyped(v)} />}
                            <FormHelperText>
                                <HelperText>
                                    <HelperTextItem>
                                        {choice === TYPED
                                            ? _("A libvirt URI: qemu+ssh://, qemu+tls:// or qemu+tcp://")
                                            : choice}
                                    </HelperTextItem>
                                </HelperText>
                            </FormHelperText>
                        </FormGroup>
                        <FormGroup label={_("Storage")} role="radiogroup" fieldId="virt-migrate-storage" isStack>
                            {storageRadio("shared", _("Shared"), _("The destination sees the same disk files"))}
                            {storageRadio("copy-full", _("Copy"), _("Copy every disk into a pool of the destination"))}
                            {storageRadio("copy-incremental", _("Copy changes"),
                                          _("The destination's disks already share the base image"))}
                            {storage === "shared" &&
                                <Checkbox id="virt-migrate-unsafe" isChecked={unsafe} isDisabled={busy}
                                          onChange={(_ev, v) => setUnsafe(v)}
                                          label={_("Migrate even if libvirt does not recognize the storage as shared")} />}
                        </FormGroup>
                        <FormGroup label={_("Options")} fieldId="virt-migrate-options" isStack>
                            {running &&
                                <Checkbox id="virt-migrate-live" isChecked={live} isDisabled={busy}
                                          onChange={(_ev, v) => setLive(v)} label={_("Keep the VM running while it moves")} />}
                            <Checkbox id="virt-migrate-persist" isChecked={persist} isDisabled={busy || !running}
                                      onChange={(_ev, v) => setPersist(v)}
                                      label={_("Keep it defined on the destination")} />
                            <Checkbox id="virt-migrate-undefine" isChecked={undefineSource} isDisabled={busy || !persist}
                                      onChange={(_ev, v) => setUndefineSource(v)}
                                      label={_("Remove its definition from this host")} />
                            {running &&
                                <Checkbox id="virt-migrate-auto-converge" isChecked={autoConverge} isDisabled={busy}
                                          onChange={(_ev, v) => setAutoConverge(v)}
                                          label={_("Slow the VM down if its memory changes faster than it is sent")} />}
                            {running && live &&
                                <Checkbox id="virt-migrate-post-copy" isChecked={postCopy} isDisabled={busy}
                                          onChange={(_ev, v) => setPostCopy(v)}
                                          label={_("Switch to post-copy after the first pass")} />}
                        </FormGroup>
                        <FormGroup label={_("Bandwidth limit (MiB/s)")} fieldId="virt-migrate-bandwidth">
                            <TextInput id="virt-migrate-bandwidth" type="number" value={bandwidth} isDisabled={busy}
                                       placeholder={_("Unlimited")} validated={bandwidthBad ? "error" : "default"}
                                       onChange={(_ev, v) => setBandwidth(v)} />
                        </FormGroup>
                    </Form>
                    {busy && <div className="virt-migrate-running"><ProgressView progress={progress} /></div>}
                    {failure &&
                        <Alert isInline variant={failure.cancelled ? "info" : "danger"}
                               className="virt-migrate-failure" data-reason={failure.reason ?? ""} title={failure.title}>
                            {failure.message}
                        </Alert>}
                </Stack>
            </ModalBody>
            <ModalFooter>
                <Button variant="primary" isLoading={busy} isDisabled={busy || !destination || bandwidthBad}
                        onClick={submit}>
                    {_("Migrate")}
                </Button>
                <Button variant="link" onClick={close}>{busy ? _("Cancel migration") : _("Cancel")}</Button>
            </ModalFooter>
        </Modal>
    );
}

/** Resolves with the destination URI once the VM runs on (or is defined at) it, null when closed without. */
export function showMigrateDialog(vm: Vm): Promise<string | null> {
    return openDialog<string | null>(done => <MigrateDialog vm={vm} onDone={done} />);
}
