// Upload a file from the user's computer into a new volume of a pool, or download a volume, with progress and
// cancel (ops `volume-upload` / `volume-download`, pkg/client/volume-transfer.ts). One transfer per pool row.

import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { Progress } from "@patternfly/react-core/dist/esm/components/Progress/index.js";
import { Flex, FlexItem } from "@patternfly/react-core/dist/esm/layouts/Flex/index.js";
import { useRef, useState } from "react";

import { OpError } from "../../client/one-shot.ts";
import { type Transfer, downloadVolume, saveBlob, uploadVolume } from "../../client/volume-transfer.ts";
import { formatBytes } from "../../format.ts";

const _ = cockpit.gettext;

function errorText(ex: unknown): string {
    return ex instanceof Error ? ex.message : String(ex);
}

interface Running {
    kind: "upload" | "download";
    name: string;
    done: number;
    total: number;
    transfer: Transfer;
}

export interface VolumeTransfers {
    /** the running transfer's progress and cancel button, or nothing */
    progress: React.ReactNode;
    /** the "Upload" button (with its hidden file input) */
    uploadButton: React.ReactNode;
    busy: boolean;
    download(name: string): void;
}

/** Transfers of one pool; `onEnd` is told the outcome (null: done or cancelled, else the error message). */
export function useVolumeTransfers(uri: string, pool: string, disabled: boolean,
                                   onEnd: (error: string | null) => void): VolumeTransfers {
    const [running, setRunning] = useState<Running | null>(null);
    const input = useRef<HTMLInputElement>(null);

    const start = (kind: Running["kind"], name: string, total: number,
                   make: (progress: (d: number, t: number) => void) => Transfer, then: (blob: Blob | null) => void) => {
        const progress = (done: number, total: number) => setRunning(r => r && { ...r, done, total });
        const transfer = make(progress);
        setRunning({ kind, name, done: 0, total, transfer });
        transfer.done.then(blob => { then(blob); onEnd(null) },
                           (ex: unknown) => onEnd(ex instanceof OpError && ex.problem === "cancelled" ? null : errorText(ex)))
                .finally(() => setRunning(null));
    };

    const upload = (file: File) =>
        start("upload", file.name, file.size, p => uploadVolume(uri, pool, file.name, file, p), () => undefined);

    const download = (name: string) =>
        start("download", name, 0, p => downloadVolume(uri, pool, name, p), blob => blob && saveBlob(blob, name));

    const progress = running &&
        <Flex alignItems={{ default: "alignItemsCenter" }} className="virt-volume-transfer"
              data-transfer={running.kind} data-volume={running.name}>
            <FlexItem grow={{ default: "grow" }}>
                <Progress value={running.total > 0 ? (100 * running.done) / running.total : 0}
                          title={cockpit.format(running.kind === "upload" ? _("Uploading $0") : _("Downloading $0"), running.name)}
                          label={cockpit.format("$0 / $1", formatBytes(running.done), formatBytes(running.total))}
                          size="sm" />
            </FlexItem>
            <FlexItem>
                <Button variant="secondary" size="sm" data-test="transfer-cancel" onClick={() => running.transfer.cancel()}>
                    {_("Cancel")}
                </Button>
            </FlexItem>
        </Flex>;

    const uploadButton = <>
        <input type="file" hidden ref={input} data-test="volume-upload-file"
               onChange={ev => {
                   const file = ev.currentTarget.files?.[0];
                   ev.currentTarget.value = "";
                   if (file)
                       upload(file);
               }} />
        <Button variant="secondary" size="sm" isDisabled={disabled || running !== null}
                onClick={() => input.current?.click()}>
            {_("Upload")}
        </Button>
    </>;

    return { progress, uploadButton, busy: running !== null, download };
}
