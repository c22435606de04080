// What the create dialog loads when it opens: the OS list (kept per page load) and what the host offers.

import { useEffect, useState } from "react";

import { type CreateOptions, fetchCreateOptions } from "../../client/create.ts";
import { OpError } from "../../client/one-shot.ts";
import { type OsInfo, listOses } from "../../client/osinfo.ts";

export interface Loaded<T> {
    value: T | null;
    loading: boolean;
    /** why it could not be loaded */
    error: string | null;
    /** the helper does not have the op (an older helper) */
    unsupported: boolean;
}

function failed<T>(err: unknown): Loaded<T> {
    const unsupported = err instanceof OpError && err.problem === "not-supported";
    return {
        value: null,
        loading: false,
        error: unsupported ? _("the installed cockpit-virt helper is too old for it")
            : err instanceof Error ? err.message : String(err),
        unsupported,
    };
}

const _ = cockpit.gettext;

const LOADING = { value: null, loading: true, error: null, unsupported: false };

export function useOsList(): Loaded<readonly OsInfo[]> & { message: string | null } {
    const [state, setState] = useState<Loaded<readonly OsInfo[]> & { message: string | null }>(
        { ...LOADING, message: null });
    useEffect(() => {
        let live = true;
        listOses().then(
            list => { if (live) setState({ value: list.oses, loading: false, error: null, unsupported: false, message: list.message }) },
            (err: unknown) => { if (live) setState({ ...failed<readonly OsInfo[]>(err), message: null }) });
        return () => { live = false };
    }, []);
    return state;
}

export function useCreateOptions(uri: string): Loaded<CreateOptions> {
    const [state, setState] = useState<Loaded<CreateOptions> & { uri: string }>({ ...LOADING, uri });
    useEffect(() => {
        let live = true;
        fetchCreateOptions(uri).then(
            value => { if (live) setState({ value, loading: false, error: null, unsupported: false, uri }) },
            (err: unknown) => { if (live) setState({ ...failed<CreateOptions>(err), uri }) });
        return () => { live = false };
    }, [uri]);
    return state.uri === uri ? state : LOADING;
}
