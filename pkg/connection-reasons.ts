// Why a connection to a host fails, in words, by the helper's reason codes (docs/api.md "Problem codes").

import type { HostKeyReason } from "./client/host-key.ts";
import type { ConnectionReason } from "./client/saved-connections.ts";

const _ = cockpit.gettext;

const REASONS: Record<ConnectionReason | HostKeyReason, string> = {
    "host-unreachable": _("The host cannot be reached"),
    "port-closed": _("Nothing answers on the host's libvirt or SSH port"),
    "auth-failed": _("The host refused the login"),
    "not-answering": _("The host accepts the connection, but its libvirt does not answer"),
    "host-key-unknown": _("The host's SSH key is not known"),
    "host-key-changed": _("The host's SSH key changed"),
    "auth-needed": _("The host asks for a user name and password"),
    "credentials-refused": _("The host refused the user name or password"),
};

/** The words for a reason code, or null for none (or one this page does not know). */
export function reasonText(reason: string | null | undefined): string | null {
    return (REASONS as Partial<Record<string, string>>)[reason ?? ""] ?? null;
}
