// What the page can say about the user's access to system VMs: the shell's Administrative access state and which
// way to more access is open to this user (the admin switch for sudoers, the libvirt group for everyone else).

import { useEffect, useState, useSyncExternalStore } from "react";

import { transport } from "../client/transport/channels.ts";
import { type PrivilegeState, privilege } from "../client/transport/privilege.ts";

/** Groups that may use sudo or pkexec on common distributions. */
const ADMIN_GROUPS = ["sudo", "wheel", "admin"];

/** How a user without system access can get it: turn on Administrative access, or be added to `libvirt`. */
export type AccessRemedy = "admin-access" | "libvirt-group";

function subscribePrivilege(cb: () => void): () => void {
    return privilege.on("changed", cb);
}

export function usePrivilege(): PrivilegeState {
    return useSyncExternalStore(subscribePrivilege, () => privilege.state);
}

/** null until the user is known. */
export function useAccessRemedy(): { remedy: AccessRemedy; user: string } | null {
    const state = usePrivilege();
    const [user, setUser] = useState<cockpit.UserInfo | null>(transport.user);
    useEffect(() => {
        let live = true;
        transport.ready().then(() => { if (live) setUser(transport.user) }, () => undefined);
        return () => { live = false };
    }, []);
    if (!user)
        return null;
    const mayAdmin = state.configured && user.groups.some(g => ADMIN_GROUPS.includes(g));
    return { remedy: mayAdmin ? "admin-access" : "libvirt-group", user: user.name };
}
