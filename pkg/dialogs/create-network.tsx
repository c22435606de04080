// "Create network": NAT, routed, open or isolated, with an IPv4 subnet and/or an IPv6 one, each with an optional
// DHCP range, and optionally an MTU. The helper checks overlaps (naming the other network or host interface), the
// ranges and the MTU's bounds; its verdict is shown as given.

import { Checkbox } from "@patternfly/react-core/dist/esm/components/Checkbox/index.js";
import { FormGroup } from "@patternfly/react-core/dist/esm/components/Form/index.js";
import { FormSelect, FormSelectOption } from "@patternfly/react-core/dist/esm/components/FormSelect/index.js";
import { TextInput } from "@patternfly/react-core/dist/esm/components/TextInput/index.js";
import { Flex, FlexItem } from "@patternfly/react-core/dist/esm/layouts/Flex/index.js";
import { useState } from "react";

import { runNetworkAction } from "../client/resource-ops.ts";

import { CreateResourceDialog } from "./create-resource.tsx";
import { openDialog } from "./dialog-host.tsx";

const _ = cockpit.gettext;

interface Subnet {
    on: boolean;
    address: string;
    prefix: string;
    dhcp: boolean;
    start: string;
    end: string;
}

function Ipv6Fields({ value, onChange }: { value: Subnet; onChange: (v: Subnet) => void }) {
    const set = (field: Partial<Subnet>) => onChange({ ...value, ...field });
    return <>
        <FormGroup label={_("IPv6 address of the host on this network")} fieldId="create-network-address6">
            <Flex flexWrap={{ default: "nowrap" }} alignItems={{ default: "alignItemsCenter" }}>
                <FlexItem grow={{ default: "grow" }}>
                    <TextInput id="create-network-address6" value={value.address} onChange={(_ev, v) => set({ address: v })} />
                </FlexItem>
                <FlexItem>/</FlexItem>
                <FlexItem>
                    <TextInput id="create-network-prefix6" aria-label={_("IPv6 prefix length")} type="number"
                               value={value.prefix} onChange={(_ev, v) => set({ prefix: v })} className="virt-prefix-input" />
                </FlexItem>
            </Flex>
        </FormGroup>
        <Checkbox id="create-network-dhcp6" label={_("Hand out IPv6 addresses with DHCPv6")} isChecked={value.dhcp}
                  onChange={(_ev, v) => set({ dhcp: v })} />
        {value.dhcp &&
            <FormGroup label={_("DHCPv6 range")} fieldId="create-network-dhcp6-start">
                <Flex flexWrap={{ default: "nowrap" }} alignItems={{ default: "alignItemsCenter" }}>
                    <FlexItem grow={{ default: "grow" }}>
                        <TextInput id="create-network-dhcp6-start" aria-label={_("First IPv6 address")}
                                   value={value.start} onChange={(_ev, v) => set({ start: v })} />
                    </FlexItem>
                    <FlexItem>–</FlexItem>
                    <FlexItem grow={{ default: "grow" }}>
                        <TextInput id="create-network-dhcp6-end" aria-label={_("Last IPv6 address")}
                                   value={value.end} onChange={(_ev, v) => set({ end: v })} />
                    </FlexItem>
                </Flex>
            </FormGroup>}
    </>;
}

function CreateNetworkDialog({ uris, onDone }: { uris: readonly string[]; onDone: () => void }) {
    const [uri, setUri] = useState(uris[0] ?? "");
    const [name, setName] = useState("");
    const [forward, setForward] = useState("nat");
    const [v4, setV4] = useState(true);
    const [address, setAddress] = useState("192.168.100.1");
    const [prefix, setPrefix] = useState("24");
    const [dhcp, setDhcp] = useState(true);
    const [start, setStart] = useState("192.168.100.2");
    const [end, setEnd] = useState("192.168.100.254");
    const [autostart, setAutostart] = useState(true);
    // empty: libvirt's default
    const [mtu, setMtu] = useState("");
    const mtuValid = mtu === "" || /^[0-9]{1,9}$/.test(mtu);
    const [v6, setV6] = useState<Subnet>({ on: false, address: "fd00:100::1", prefix: "64", dhcp: true, start: "fd00:100::100", end: "fd00:100::1ff" });

    const create = () => runNetworkAction(uri, name, "create", {
        forward, autostart,
        ...(mtu !== "" ? { mtu: Number(mtu) } : {}),
        ...(v4 ? { ipv4: { address, prefix: Number(prefix), dhcp: dhcp ? { start, end } : null } } : {}),
        ...(v6.on
            ? { ipv6: { address: v6.address, prefix: Number(v6.prefix), dhcp: v6.dhcp ? { start: v6.start, end: v6.end } : null } }
            : {}),
    });

    return (
        <CreateResourceDialog kind="network" title={_("Create network")} errorTitle={_("The network was not created")}
                              uris={uris} uri={uri} onUri={setUri} ready={!!name && mtuValid} create={create} onDone={onDone}>
            <FormGroup label={_("Name")} isRequired fieldId="create-network-name">
                <TextInput id="create-network-name" value={name} onChange={(_ev, v) => setName(v)} isRequired />
            </FormGroup>
            <FormGroup label={_("Forwarding")} fieldId="create-network-forward">
                <FormSelect id="create-network-forward" value={forward} onChange={(_ev, v) => setForward(v)}>
                    <FormSelectOption value="nat" label={_("NAT: VMs reach outside through the host's address")} />
                    <FormSelectOption value="route" label={_("Routed: the host routes, no address translation")} />
                    <FormSelectOption value="open" label={_("Open: routed, no firewall rules")} />
                    <FormSelectOption value="isolated" label={_("Isolated: VMs and the host only")} />
                </FormSelect>
            </FormGroup>
            <Checkbox id="create-network-ipv4" label={_("IPv4")} isChecked={v4} onChange={(_ev, on) => setV4(on)} />
            {v4 && <>
                <FormGroup label={_("IPv4 address of the host on this network")} isRequired fieldId="create-network-address">
                    <Flex flexWrap={{ default: "nowrap" }} alignItems={{ default: "alignItemsCenter" }}>
                        <FlexItem grow={{ default: "grow" }}>
                            <TextInput id="create-network-address" value={address} onChange={(_ev, v) => setAddress(v)} />
                        </FlexItem>
                        <FlexItem>/</FlexItem>
                        <FlexItem>
                            <TextInput id="create-network-prefix" aria-label={_("Prefix length")} type="number"
                                       value={prefix} onChange={(_ev, v) => setPrefix(v)} className="virt-prefix-input" />
                        </FlexItem>
                    </Flex>
                </FormGroup>
                <Checkbox id="create-network-dhcp" label={_("Hand out addresses with DHCP")} isChecked={dhcp}
                          onChange={(_ev, v) => setDhcp(v)} />
                {dhcp &&
                    <FormGroup label={_("DHCP range")} fieldId="create-network-dhcp-start">
                        <Flex flexWrap={{ default: "nowrap" }} alignItems={{ default: "alignItemsCenter" }}>
                            <FlexItem grow={{ default: "grow" }}>
                                <TextInput id="create-network-dhcp-start" aria-label={_("First address")}
                                           value={start} onChange={(_ev, v) => setStart(v)} />
                            </FlexItem>
                            <FlexItem>–</FlexItem>
                            <FlexItem grow={{ default: "grow" }}>
                                <TextInput id="create-network-dhcp-end" aria-label={_("Last address")}
                                           value={end} onChange={(_ev, v) => setEnd(v)} />
                            </FlexItem>
                        </Flex>
                    </FormGroup>}
            </>}
            <Checkbox id="create-network-ipv6" label={_("IPv6")} isChecked={v6.on}
                      onChange={(_ev, on) => setV6({ ...v6, on })} />
            {v6.on && <Ipv6Fields value={v6} onChange={setV6} />}
            <FormGroup label={_("MTU (bytes)")} fieldId="create-network-mtu">
                <TextInput id="create-network-mtu" type="number" value={mtu} placeholder={_("Default")}
                           validated={mtuValid ? "default" : "error"} onChange={(_ev, v) => setMtu(v.trim())} />
            </FormGroup>
            <Checkbox id="create-network-autostart" label={_("Start at boot")} isChecked={autostart}
                      onChange={(_ev, v) => setAutostart(v)} />
        </CreateResourceDialog>
    );
}

export function showCreateNetworkDialog(uris: readonly string[]): Promise<void> {
    return openDialog<undefined>(done => <CreateNetworkDialog uris={uris} onDone={() => done(undefined)} />);
}
