// Page-level notices that outlive the VM they are about (e.g. storage a delete could not remove).

import { Listeners } from "./listeners.ts";

export interface Notice {
    id: number;
    variant: "warning" | "danger" | "info";
    title: string;
    details: string[];
}

let notices: readonly Notice[] = [];
let nextId = 1;
export const noticeListeners = new Listeners();

export function getNotices(): readonly Notice[] {
    return notices;
}

export function addNotice(notice: Omit<Notice, "id">): void {
    notices = [...notices, { ...notice, id: nextId++ }];
    noticeListeners.notify();
}

export function dismissNotice(id: number): void {
    notices = notices.filter(n => n.id !== id);
    noticeListeners.notify();
}
