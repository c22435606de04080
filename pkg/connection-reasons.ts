// Why a connection to a host fails, in words, by the helper's reason codes (docs/api.md "Problem codes").

const _ = cockpit.gettext;

const REASONS: Partial<Record<string, string>> = {
    "host-unreachable": _("The host cannot be reached"),
    "port-closed": _("Nothing answers on the host's libvirt or SSH port"),
    "auth-failed": _("The host refused the login"),
};

/** The words for a reason code, or null for none (or one this page does not know). */
export function reasonText(reason: string | null | undefined): string | null {
    return REASONS[reason ?? ""] ?? null;
}
