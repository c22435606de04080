// A host path with completion: the entries of the directory typed so far, offered by the browser's own
// suggestion list (a <datalist>), directories first and with a trailing "/".

import { TextInput } from "@patternfly/react-core/dist/esm/components/TextInput/index.js";
import { useEffect, useState } from "react";

import { listDirectory } from "../../client/fslist.ts";

interface Props {
    id: string;
    value: string;
    onChange: (value: string) => void;
    placeholder: string;
    validated: "error" | "warning" | "default";
    /** only files whose name ends so are offered (directories always are) */
    extensions?: readonly string[];
}

/** The directory part of an absolute path typed so far ("/var/lib/x" → "/var/lib/"), or null. */
export function directoryOf(path: string): string | null {
    if (!path.startsWith("/"))
        return null;
    return path.slice(0, path.lastIndexOf("/") + 1);
}

export function PathInput({ id, value, onChange, placeholder, validated, extensions }: Props) {
    const dir = directoryOf(value);
    const [entries, setEntries] = useState<{ dir: string; paths: string[] } | null>(null);

    useEffect(() => {
        if (dir === null)
            return;
        const abort = new AbortController();
        listDirectory(dir, abort.signal).then(list => {
            const wanted = list.filter(e => e.type !== "file" || !extensions ||
                extensions.some(ext => e.name.toLowerCase().endsWith(ext)));
            wanted.sort((a, b) => Number(b.type === "directory") - Number(a.type === "directory") ||
                a.name.localeCompare(b.name));
            setEntries({ dir, paths: wanted.map(e => dir + e.name + (e.type === "directory" ? "/" : "")) });
        }, () => setEntries({ dir, paths: [] }));
        return () => abort.abort();
    }, [dir, extensions]);

    const listId = `${id}-completions`;
    return (
        <>
            <TextInput id={id} value={value} onChange={(_ev, v) => onChange(v)} placeholder={placeholder}
                       validated={validated} list={listId} autoComplete="off" spellCheck={false} />
            <datalist id={listId}>
                {entries?.dir === dir && entries.paths.slice(0, 200).map(p => <option key={p} value={p} />)}
            </datalist>
        </>
    );
}
