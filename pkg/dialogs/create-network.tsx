// "Create network": NAT, routed, open or isolated, with an IPv4 subnet and an optional DHCP range. The helper
// checks overlaps (naming the other network or host interface) and the range; its verdict is shown as given.

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

function CreateNetworkDialog({ uris, onDone }: { uris: readonly string[]; onDone: () => void }) {
    const [uri, setUri] = useState(uris[0] ?? "");
    const [name, setName] = useState("");
    const [forward, setForward] = useState("nat");
    const [address, setAddress] = useState("192.168.100.1");
    const [prefix, setPrefix] = useState("24");
    const [dhcp, setDhcp] = useState(true);
    const [start, setStart] = useState("192.168.100.2");
    const [end, setEnd] = useState("192.168.100.254");
    const [autostart, setAutostart] = useState(true);

    const create = () => runNetworkAction(uri, name, "create", {
        forward, autostart,
        ipv4: { address, prefix: Number(prefix), dhcp: dhcp ? { start, end } : null },
    });

    return (
        <CreateResourceDialog kind="network" title={_("Create network")} errorTitle={_("The network was not created")}
                              uris={uris} uri={uri} onUri={setUri} ready={!!name} create={create} onDone={onDone}>
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
            <Checkbox id="create-network-autostart" label={_("Start at boot")} isChecked={autostart}
                      onChange={(_ev, v) => setAutostart(v)} />
        </CreateResourceDialog>
    );
}

export function showCreateNetworkDialog(uris: readonly string[]): Promise<void> {
    return openDialog<undefined>(done => <CreateNetworkDialog uris={uris} onDone={() => done(undefined)} />);
}
