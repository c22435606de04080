// How the list is filtered and sorted: kept outside the list component, so it survives a visit to a VM page.

import { useSyncExternalStore } from "react";

import type { SortSpec, StateFilter } from "../views/list-order.ts";

import { Listeners } from "./listeners.ts";

export interface ListView {
    text: string;
    state: StateFilter;
    sort: SortSpec;
    /** only this connection's VMs ("" for every connection) */
    host: string;
}

let view: ListView = { text: "", state: "all", sort: { column: "name", direction: "asc" }, host: "" };
const listeners = new Listeners();

export function setListView(patch: Partial<ListView>): void {
    view = { ...view, ...patch };
    listeners.notify();
}

export function useListView(): ListView {
    return useSyncExternalStore(listeners.subscribe, () => view);
}
