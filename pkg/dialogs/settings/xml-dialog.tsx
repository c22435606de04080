// Edit XML: the VM's saved definition in an editor (a lazy chunk), then a review of the changed lines, then a
// save that libvirt validates. A definition changed elsewhere meanwhile is refused by the helper; the dialog then
// offers to reload. A transient VM's XML is shown read-only.

import { Alert, AlertActionLink } from "@patternfly/react-core/dist/esm/components/Alert/index.js";
import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { Modal, ModalBody, ModalFooter, ModalHeader } from "@patternfly/react-core/dist/esm/components/Modal/index.js";
import { Spinner } from "@patternfly/react-core/dist/esm/components/Spinner/index.js";
import { useEffect, useRef, useState } from "react";

import { type DomainXml, readDomainXml, saveDomainXml } from "../../client/domain-xml.ts";
import { OpError } from "../../client/one-shot.ts";
import type { Vm } from "../../types.ts";
import { openDialog } from "../dialog-host.tsx";

import { lineDiff } from "./line-diff.ts";
import type { XmlEditor } from "./xml-editor.ts";

const _ = cockpit.gettext;

type Step = "edit" | "review";

/** The editor, created once per mount with `doc` (later changes of `doc` are the editor's own, reported back). */
function EditorPane({ doc, readOnly, onChange, onReady }: {
    doc: string; readOnly: boolean; onChange: (text: string) => void; onReady: (editor: XmlEditor | null) => void;
}) {
    const host = useRef<HTMLDivElement>(null);
    const initial = useRef({ doc, readOnly, onChange, onReady });
    const [failed, setFailed] = useState<string | null>(null);
    useEffect(() => {
        const { doc, readOnly, onChange, onReady } = initial.current;
        let editor: XmlEditor | null = null;
        let cancelled = false;
        import("./xml-editor.ts").then(({ createXmlEditor }) => {
            if (!cancelled && host.current) {
                editor = createXmlEditor(host.current, doc, readOnly, _("Domain XML"), onChange);
                onReady(editor);
            }
        }, (ex: unknown) => setFailed(String(ex)));
        return () => {
            cancelled = true;
            onReady(null);
            editor?.destroy();
        };
    }, []);
    if (failed)
        return <Alert variant="danger" isInline title={_("The editor could not be loaded")}>{failed}</Alert>;
    return <div ref={host} className="virt-xml-editor" />;
}

function Review({ before, after }: { before: string; after: string }) {
    const lines = lineDiff(before, after);
    // Changed lines with three lines of context around them.
    const keep = lines.map((line, i) => lines.slice(Math.max(0, i - 3), i + 4).some(l => l.kind !== "same"));
    return (
        <pre className="virt-xml-diff" aria-label={_("Changes")}>
            {lines.map((line, i) => keep[i]
                ? <div key={i} className={`virt-xml-diff-${line.kind}`}>
                    {line.kind === "add" ? "+ " : line.kind === "remove" ? "- " : "  "}{line.text}
                </div>
                : (i > 0 && keep[i - 1]) ? <div key={i} className="virt-xml-diff-gap">…</div> : null)}
        </pre>
    );
}

function XmlDialog({ vm, onDone }: { vm: Vm; onDone: (saved: boolean) => void }) {
    const [loaded, setLoaded] = useState<DomainXml | null>(null);
    const [text, setText] = useState("");
    const [step, setStep] = useState<Step>("edit");
    const [busy, setBusy] = useState(false);
    const [failure, setFailure] = useState<{ message: string; conflict: boolean } | null>(null);
    const [generation, setGeneration] = useState(0);
    const editor = useRef<XmlEditor | null>(null);

    useEffect(() => {
        readDomainXml(vm.uri, vm.id).then(answer => {
            setLoaded(answer);
            setText(answer.xml);
        }, (ex: unknown) => setFailure({ message: ex instanceof Error ? ex.message : String(ex), conflict: false }));
    }, [vm.uri, vm.id, generation]);

    const reload = () => {
        setLoaded(null);
        setFailure(null);
        setStep("edit");
        setGeneration(g => g + 1);
    };

    const save = () => {
        if (!loaded)
            return;
        setBusy(true);
        setFailure(null);
        saveDomainXml(vm.uri, vm.id, text, loaded.xml).then(() => onDone(true), (ex: unknown) => {
            setBusy(false);
            const conflict = ex instanceof OpError && "base" in ex.errors;
            setFailure({ message: ex instanceof Error ? ex.message : String(ex), conflict });
            if (!conflict)
                setStep("edit");
        });
    };

    const changed = loaded !== null && text !== loaded.xml;
    // libvirt's parse errors name a line ("at line 4: Opening and ending tag mismatch …").
    const failedLine = failure && !failure.conflict ? /\bline (\d+)\b/.exec(failure.message)?.[1] : undefined;
    return (
        <Modal isOpen variant="large" onClose={() => onDone(false)} aria-labelledby="virt-xml-title" id="virt-xml-dialog">
            <ModalHeader title={cockpit.format(loaded?.readOnly ? _("XML of $0") : _("Edit the XML of $0"), vm.name)}
                         labelId="virt-xml-title"
                         description={loaded?.readOnly
                             ? _("This VM is transient: it has no saved definition to edit.")
                             : step === "review"
                                 ? _("These lines change. libvirt checks the definition when it is saved.")
                                 : vm.state !== "shutoff" ? _("The VM gets the saved definition at its next boot.") : undefined} />
            <ModalBody>
                {failure &&
                    <Alert variant="danger" isInline className="virt-xml-failure"
                           title={failure.conflict ? _("Changed elsewhere") : _("Could not save")}
                           actionLinks={failure.conflict
                               ? <AlertActionLink id="virt-xml-reload" onClick={reload}>{_("Reload and discard my edit")}</AlertActionLink>
                               : failedLine && step === "edit"
                                   ? <AlertActionLink id="virt-xml-goto" onClick={() => editor.current?.goToLine(Number(failedLine))}>
                                       {cockpit.format(_("Go to line $0"), failedLine)}
                                   </AlertActionLink>
                                   : undefined}>
                        {failure.message}
                    </Alert>}
                {!loaded
                    ? (!failure && <Spinner size="lg" aria-label={_("Loading")} />)
                    : step === "review"
                        ? <Review before={loaded.xml} after={text} />
                        : <EditorPane key={generation} doc={text} readOnly={loaded.readOnly} onChange={setText}
                                      onReady={e => { editor.current = e }} />}
            </ModalBody>
            <ModalFooter>
                {loaded && !loaded.readOnly && step === "edit" &&
                    <Button variant="primary" id="virt-xml-review" isDisabled={!changed} onClick={() => setStep("review")}>
                        {_("Review changes")}
                    </Button>}
                {step === "review" &&
                    <>
                        <Button variant="primary" id="virt-xml-save" isLoading={busy} isDisabled={busy || failure?.conflict === true}
                                onClick={save}>{_("Save")}</Button>
                        <Button variant="secondary" onClick={() => setStep("edit")} isDisabled={busy}>{_("Back to editing")}</Button>
                    </>}
                <Button variant="link" onClick={() => onDone(false)}>{loaded?.readOnly ? _("Close") : _("Cancel")}</Button>
            </ModalFooter>
        </Modal>
    );
}

export function showXmlDialog(vm: Vm): Promise<boolean> {
    return openDialog<boolean>(done => <XmlDialog vm={vm} onDone={done} />);
}
