// The host devices of one connection while a component shows them (one `host-devices` channel).

import { useEffect, useState } from "react";

import { type HostDevices, NO_HOST_DEVICES, followHostDevices } from "../client/host-devices.ts";

export function useHostDevices(uri: string): HostDevices {
    const [state, setState] = useState<{ uri: string; devices: HostDevices } | null>(null);
    useEffect(() => followHostDevices(uri, devices => setState({ uri, devices })), [uri]);
    // What another connection's channel sent is not shown while this one starts.
    return state?.uri === uri ? state.devices : NO_HOST_DEVICES;
}
