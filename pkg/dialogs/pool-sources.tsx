// "Find" beside a new pool's source fields: asks the helper what libvirt finds (op `pool-sources`: the host's volume
// groups, a server's NFS exports or iSCSI targets) and fills the dialog's fields from the one chosen. A failure shows
// the helper's verdict, titled by its problem code, with libvirt's message.

import { Alert } from "@patternfly/react-core/dist/esm/components/Alert/index.js";
import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { FormGroup } from "@patternfly/react-core/dist/esm/components/Form/index.js";
import { FormSelect, FormSelectOption } from "@patternfly/react-core/dist/esm/components/FormSelect/index.js";
import { HelperText, HelperTextItem } from "@patternfly/react-core/dist/esm/components/HelperText/index.js";
import { useEffect, useRef, useState } from "react";

import { OpError, type OneShot } from "../client/one-shot.ts";
import { type PoolSource, type PoolSources, findPoolSources } from "../client/pool-sources.ts";

const _ = cockpit.gettext;

/** The pool types with discovery, what the button says, and how a found source reads. */
const KINDS: Readonly<Record<string, { find: string; choose: string; label: (s: PoolSource) => string }>> = {
    logical: {
        find: _("Find volume groups"),
        choose: _("Volume groups on the host"),
        label: s => s.devices.length ? `${s.name ?? ""} (${s.devices.join(", ")})` : s.name ?? "",
    },
    netfs: {
        find: _("Find exports"),
        choose: _("Exports of the server"),
        label: s => `${s.host ?? ""}:${s.dir ?? ""}`,
    },
    iscsi: {
        find: _("Find targets"),
        choose: _("Targets of the portal"),
        label: s => `${s.devices[0] ?? ""} (${s.host ?? ""}${s.port ? `:${s.port}` : ""})`,
    },
};

export const hasSourceFinder = (type: string): boolean => type in KINDS;

function errorTitle(problem: string): string {
    switch (problem) {
    case "invalid-argument": return _("Check the host and port");
    case "not-found": return _("Nothing was found there");
    case "not-supported": return _("This host cannot look for these sources");
    case "timeout": return _("No answer in time");
    default: return _("The search failed");
    }
}

interface Props {
    uri: string;
    type: string;
    /** the server to ask (netfs, iscsi); the search needs one */
    host?: string | undefined;
    port?: number | undefined;
    onPick: (source: PoolSource) => void;
}

/** The answer to one question (connection, type, server): shown only while the dialog still asks that. */
interface Search {
    key: string;
    busy: boolean;
    found: PoolSources | null;
    error: { problem: string; message: string } | null;
    chosen: string;
}

export function PoolSourceFinder({ uri, type, host, port, onPick }: Props) {
    const key = JSON.stringify([uri, type, host ?? null, port ?? null]);
    const [search, setSearch] = useState<Search | null>(null);
    const running = useRef<OneShot | null>(null);
    const kind = KINDS[type];
    const needsHost = type !== "logical";

    // A new question gives up on the answer still coming to the old one.
    useEffect(() => () => {
        void running.current?.close();
        running.current = null;
    }, [key]);

    if (!kind)
        return null;
    const current = search?.key === key ? search : null;
    const busy = current?.busy ?? false;
    const found = current?.found ?? null;
    const error = current?.error ?? null;

    const find = async () => {
        setSearch({ key, busy: true, found: null, error: null, chosen: "" });
        const { result, channel } = findPoolSources(uri, type, needsHost ? host : undefined, port);
        running.current = channel;
        let answer: Pick<Search, "found" | "error">;
        try {
            answer = { found: await result, error: null };
        } catch (ex) {
            answer = {
                found: null,
                error: ex instanceof OpError
                    ? { problem: ex.problem, message: ex.message }
                    : { problem: "internal-error", message: String(ex) },
            };
        }
        if (running.current === channel) {
            running.current = null;
            setSearch({ key, busy: false, chosen: "", ...answer });
        }
    };

    const pick = (index: string) => {
        setSearch(s => s && { ...s, chosen: index });
        const source = found?.sources[Number(index)];
        if (source)
            onPick(source);
    };

    return (
        <>
            <Button variant="secondary" isLoading={busy} isDisabled={busy || (needsHost && !host)}
                    onClick={() => void find()} data-test="pool-sources-find">
                {busy ? _("Looking…") : kind.find}
            </Button>
            {error &&
                <Alert variant="warning" isInline title={errorTitle(error.problem)} data-test="pool-sources-error"
                       data-problem={error.problem}>
                    {error.message}
                </Alert>}
            {found && found.sources.length === 0 &&
                <HelperText>
                    <HelperTextItem data-test="pool-sources-none">{_("None found")}</HelperTextItem>
                </HelperText>}
            {found && found.sources.length > 0 &&
                <FormGroup label={kind.choose} fieldId="pool-sources-choice">
                    <FormSelect id="pool-sources-choice" value={current?.chosen ?? ""} onChange={(_ev, v) => pick(v)}>
                        <FormSelectOption value="" label={_("Choose one to fill in the fields")} isPlaceholder isDisabled />
                        {found.sources.map((s, i) => <FormSelectOption key={i} value={String(i)} label={kind.label(s)} />)}
                    </FormSelect>
                    {found.truncated &&
                        <HelperText>
                            <HelperTextItem>{_("Only the first ones found are listed")}</HelperTextItem>
                        </HelperText>}
                </FormGroup>}
        </>
    );
}
