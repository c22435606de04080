// The frame the snapshot and clone dialogs share: fields, libvirt's message inline on failure, a progress bar while
// the job runs, and Cancel that aborts the running job (the helper aborts or rolls back) instead of leaving it.

import { Alert } from "@patternfly/react-core/dist/esm/components/Alert/index.js";
import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { Form } from "@patternfly/react-core/dist/esm/components/Form/index.js";
import { Modal, ModalBody, ModalFooter, ModalHeader } from "@patternfly/react-core/dist/esm/components/Modal/index.js";
import { Progress } from "@patternfly/react-core/dist/esm/components/Progress/index.js";
import type React from "react";
import { useRef, useState } from "react";

import type { Job, JobProgress } from "../../client/snapshot.ts";
import { OpError } from "../../client/one-shot.ts";

const _ = cockpit.gettext;

export interface JobDialogProps<T> {
    id: string;
    title: string;
    submitLabel: string;
    danger?: boolean;
    variant?: "small" | "medium";
    /** starts the job with the fields' values */
    start: (onProgress: (p: JobProgress) => void) => Job<T>;
    onDone: (result: T | null) => void;
    children?: React.ReactNode;
}

export function JobDialog<T>({ id, title, submitLabel, danger, variant = "medium", start, onDone, children }: JobDialogProps<T>) {
    const [busy, setBusy] = useState(false);
    const [progress, setProgress] = useState<JobProgress | null>(null);
    const [failure, setFailure] = useState<string | null>(null);
    const job = useRef<Job<T> | null>(null);

    const submit = () => {
        setBusy(true);
        setFailure(null);
        setProgress(null);
        const running = start(setProgress);
        job.current = running;
        running.done.then(result => onDone(result), (ex: unknown) => {
            job.current = null;
            setBusy(false);
            if (ex instanceof OpError && ex.problem === "terminated")
                setFailure(_("Cancelled"));
            else
                setFailure(ex instanceof Error ? ex.message : String(ex));
        });
    };
    const cancel = () => {
        if (job.current)
            job.current.cancel();
        else
            onDone(null);
    };
    const percent = progress?.total ? Math.round(100 * (progress.done ?? 0) / progress.total) : null;

    return (
        <Modal isOpen variant={variant} onClose={cancel} aria-labelledby={`${id}-title`} id={id}>
            <ModalHeader title={title} labelId={`${id}-title`} {...danger ? { titleIconVariant: "warning" } : {}} />
            <ModalBody>
                <Form isHorizontal onSubmit={ev => { ev.preventDefault(); if (!busy) submit() }}>
                    {children}
                    {busy &&
                        <Progress id={`${id}-progress`} aria-label={_("Progress")}
                                  title={progress?.message ?? _("Working…")}
                                  {...percent === null ? { value: 0, measureLocation: "none" } : { value: percent }} />}
                    {failure &&
                        <Alert isInline variant="danger" title={_("Failed")} id={`${id}-failure`}>{failure}</Alert>}
                </Form>
            </ModalBody>
            <ModalFooter>
                <Button variant={danger ? "danger" : "primary"} onClick={submit} isLoading={busy} isDisabled={busy}
                        id={`${id}-submit`}>
                    {submitLabel}
                </Button>
                <Button variant="link" onClick={cancel} id={`${id}-cancel`}>{_("Cancel")}</Button>
            </ModalFooter>
        </Modal>
    );
}
