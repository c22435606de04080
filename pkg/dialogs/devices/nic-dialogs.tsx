// Network interface dialogs: add one (virtual network, host bridge, macvtap or user-mode with passt's port forwards;
// a VLAN tag where the source carries one; model; MAC automatic or given), edit one, remove one.

import { Button } from "@patternfly/react-core/dist/esm/components/Button/index.js";
import { Checkbox } from "@patternfly/react-core/dist/esm/components/Checkbox/index.js";
import { Content } from "@patternfly/react-core/dist/esm/components/Content/index.js";
import { FormGroup } from "@patternfly/react-core/dist/esm/components/Form/index.js";
import { Radio } from "@patternfly/react-core/dist/esm/components/Radio/index.js";
import { FormSelect, FormSelectOption } from "@patternfly/react-core/dist/esm/components/FormSelect/index.js";
import { TextInput } from "@patternfly/react-core/dist/esm/components/TextInput/index.js";
import { Flex, FlexItem } from "@patternfly/react-core/dist/esm/layouts/Flex/index.js";
import { useState } from "react";

import type { DeviceParams, DeviceResult } from "../../client/device.ts";
import type { Vm, VmInterface } from "../../types.ts";

import { DeviceDialog, openDeviceDialog, whereText } from "./device-dialog.tsx";
import { SelectField, useHostOptions } from "./fields.tsx";

const _ = cockpit.gettext;

type Done = (result: DeviceResult | null) => void;
type Kind = "network" | "bridge" | "direct" | "user";

const DIRECT_MODES = ["bridge", "vepa", "private", "passthrough"].map(m => ({ value: m, label: m }));

const MODELS = [
    { value: "virtio", label: _("virtio (paravirtualized)") }, { value: "e1000e", label: "e1000e" },
    { value: "e1000", label: "e1000" }, { value: "rtl8139", label: "rtl8139" },
];

interface Forward { proto: string; host: string; guest: string }

/** passt's port forwards: protocol, host port, guest port, one row each. Numbers go to the helper as typed. */
function ForwardsField({ forwards, onChange }: { forwards: Forward[]; onChange: (forwards: Forward[]) => void }) {
    const set = (i: number, change: Partial<Forward>) => onChange(forwards.map((f, j) => j === i ? { ...f, ...change } : f));
    return (
        <FormGroup label={_("Port forwards")} fieldId="virt-add-nic-forward-add">
            {forwards.map((f, i) =>
                <Flex key={i} spaceItems={{ default: "spaceItemsSm" }} flexWrap={{ default: "nowrap" }}
                      className="virt-add-nic-forward">
                    <FlexItem>
                        <FormSelect id={`virt-add-nic-forward-proto-${i}`} value={f.proto} aria-label={_("Protocol")}
                                    onChange={(_ev, v) => set(i, { proto: v })}>
                            <FormSelectOption value="tcp" label="TCP" />
                            <FormSelectOption value="udp" label="UDP" />
                        </FormSelect>
                    </FlexItem>
                    <FlexItem>
                        <TextInput id={`virt-add-nic-forward-host-${i}`} aria-label={_("Host port")} inputMode="numeric"
                                   placeholder={_("Host port")} value={f.host} onChange={(_ev, v) => set(i, { host: v })} />
                    </FlexItem>
                    <FlexItem>→</FlexItem>
                    <FlexItem>
                        <TextInput id={`virt-add-nic-forward-guest-${i}`} aria-label={_("Guest port")} inputMode="numeric"
                                   placeholder={_("Guest port")} value={f.guest} onChange={(_ev, v) => set(i, { guest: v })} />
                    </FlexItem>
                    <FlexItem>
                        <Button variant="plain" aria-label={_("Remove port forward")}
                                onClick={() => onChange(forwards.filter((_f, j) => j !== i))}>✕</Button>
                    </FlexItem>
                </Flex>)}
            <Button id="virt-add-nic-forward-add" variant="link" isInline
                    onClick={() => onChange([...forwards, { proto: "tcp", host: "", guest: "" }])}>
                {_("Add port forward")}
            </Button>
        </FormGroup>
    );
}

/** What was typed as a port: a number, or NaN-free 0 that the helper refuses with its reason. */
const port = (text: string) => {
    const n = Number(text.trim());
    return Number.isFinite(n) && text.trim() !== "" ? n : 0;
};

function AddNicDialog({ vm, onDone }: { vm: Vm; onDone: Done }) {
    const options = useHostOptions(vm.uri);
    const [kind, setKind] = useState<Kind>("network");
    const [network, setNetwork] = useState("");
    const [bridge, setBridge] = useState("");
    const [hostIf, setHostIf] = useState("");
    const [mode, setMode] = useState("bridge");
    const hostIfs = options?.interfaces ?? [];
    const chosenHostIf = hostIf || hostIfs[0] || "";
    const [model, setModel] = useState("virtio");
    const [macKind, setMacKind] = useState<"auto" | "given">("auto");
    const [mac, setMac] = useState("");
    const [vlan, setVlan] = useState("");
    const [passt, setPasst] = useState(true);
    const [forwards, setForwards] = useState<Forward[]>([]);
    const networks = options?.networks.map(n => n.name) ?? [];
    const bridges = options?.bridges ?? [];
    const chosenNetwork = network || networks[0] || "";
    const chosenBridge = bridge || bridges[0] || "";
    // A tag is offered where the source carries one: a bridge that filters VLANs, macvtap passthrough (an SR-IOV VF).
    const canTag = (kind === "bridge" && (options?.vlan_bridges ?? []).includes(chosenBridge)) ||
        (kind === "direct" && mode === "passthrough");
    const usePasst = kind === "user" && options?.passt === true && passt;

    const params = (): DeviceParams => {
        const sources: Record<Kind, DeviceParams> = {
            network: { network: chosenNetwork },
            bridge: { bridge: chosenBridge },
            direct: { direct: chosenHostIf, mode },
            user: usePasst
                ? { user: true, passt: true, forwards: forwards.map(f => ({ proto: f.proto, host: port(f.host), guest: port(f.guest) })) }
                : { user: true },
        };
        return {
            source: sources[kind], model, ...macKind === "given" ? { mac } : {},
            ...canTag && vlan.trim() !== "" ? { vlan: port(vlan) } : {},
        };
    };
    const radio = (value: Kind, label: string) =>
        <Radio id={`virt-add-nic-${value}`} name="virt-add-nic-kind" label={label}
               isChecked={kind === value} onChange={() => setKind(value)} />;
    const choices = (names: string[]) => names.length > 0
        ? names.map(n => ({ value: n, label: n }))
        : [{ value: "", label: options ? _("None on this host") : _("Loading…") }];

    return (
        <DeviceDialog vm={vm} id="virt-add-nic" title={_("Add network interface")} submitLabel={_("Add")}
                      action="nic-add" params={params} onDone={onDone}
                      successTitle={r => cockpit.format(_("Added interface $0: $1"), r.mac ?? "", whereText(r))}>
            <FormGroup label={_("Connect to")} role="radiogroup" isStack fieldId="virt-add-nic-network">
                {radio("network", _("Virtual network"))}
                {radio("bridge", _("Host bridge"))}
                {radio("direct", _("Direct attachment to a host interface (macvtap)"))}
                {radio("user", options?.passt === true
                    ? _("User-mode networking (no host setup; incoming only through port forwards)")
                    : _("User-mode networking (no host setup, outgoing connections only)"))}
            </FormGroup>
            {kind === "direct" && <>
                <SelectField id="virt-add-nic-direct-dev" label={_("Host interface")} value={chosenHostIf}
                             onChange={setHostIf} choices={choices(hostIfs)} />
                <SelectField id="virt-add-nic-direct-mode" label={_("Mode")} value={mode} onChange={setMode}
                             choices={DIRECT_MODES} />
            </>}
            {kind === "network" &&
                <SelectField id="virt-add-nic-network-name" label={_("Network")} value={chosenNetwork}
                             onChange={setNetwork} choices={choices(networks)} />}
            {kind === "bridge" &&
                <SelectField id="virt-add-nic-bridge-name" label={_("Bridge")} value={chosenBridge}
                             onChange={setBridge} choices={choices(bridges)} />}
            {canTag &&
                <FormGroup label={_("VLAN tag")} fieldId="virt-add-nic-vlan">
                    <TextInput id="virt-add-nic-vlan" value={vlan} inputMode="numeric" placeholder={_("None (1–4094)")}
                               onChange={(_ev, v) => setVlan(v)} />
                </FormGroup>}
            {kind === "user" && options?.passt === true && <>
                <FormGroup fieldId="virt-add-nic-passt">
                    <Checkbox id="virt-add-nic-passt" isChecked={passt} onChange={(_ev, checked) => setPasst(checked)}
                              label={_("Through passt (can forward host ports into the guest)")} />
                </FormGroup>
                {passt && <ForwardsField forwards={forwards} onChange={setForwards} />}
            </>}
            <SelectField id="virt-add-nic-model" label={_("Model")} value={model} onChange={setModel} choices={MODELS} />
            <FormGroup label={_("MAC address")} role="radiogroup" isStack fieldId="virt-add-nic-mac-auto">
                <Radio id="virt-add-nic-mac-auto" name="virt-add-nic-mac" label={_("Automatic")}
                       isChecked={macKind === "auto"} onChange={() => setMacKind("auto")} />
                <Radio id="virt-add-nic-mac-given" name="virt-add-nic-mac" label={_("Given")}
                       isChecked={macKind === "given"} onChange={() => setMacKind("given")} />
                {macKind === "given" &&
                    <TextInput id="virt-add-nic-mac" aria-label={_("MAC address")} value={mac}
                               placeholder="52:54:00:12:34:56" onChange={(_ev, v) => setMac(v)} />}
            </FormGroup>
        </DeviceDialog>
    );
}

function EditNicDialog({ vm, nic, onDone }: { vm: Vm; nic: VmInterface; onDone: Done }) {
    const options = useHostOptions(vm.uri);
    // A direct (macvtap) interface is edited as a network one: changing its host interface is not offered here.
    const initialKind: Exclude<Kind, "direct"> = nic.type === "bridge" || nic.type === "user" ? nic.type : "network";
    const [kind, setKind] = useState<Exclude<Kind, "direct">>(initialKind);
    const [network, setNetwork] = useState(nic.type === "network" ? nic.source ?? "" : "");
    const [bridge, setBridge] = useState(nic.type === "bridge" ? nic.source ?? "" : "");
    const [model, setModel] = useState(nic.model ?? "virtio");
    const [mac, setMac] = useState(nic.mac ?? "");
    const networks = options?.networks.map(n => n.name) ?? [];
    const bridges = options?.bridges ?? [];
    const chosenNetwork = network || networks[0] || "";
    const chosenBridge = bridge || bridges[0] || "";
    const radio = (value: Exclude<Kind, "direct">, label: string) =>
        <Radio id={`virt-edit-nic-${value}`} name="virt-edit-nic-kind" label={label}
               isChecked={kind === value} onChange={() => setKind(value)} />;
    const choices = (names: string[], current: string) => {
        const all = current && !names.includes(current) ? [current, ...names] : names;
        return all.length > 0 ? all.map(n => ({ value: n, label: n })) : [{ value: "", label: _("None on this host") }];
    };
    const params = (): DeviceParams => ({
        mac: nic.mac ?? "",
        source: kind === "network" ? { network: chosenNetwork } : kind === "bridge" ? { bridge: chosenBridge } : { user: true },
        model,
        newMac: mac,
    });
    return (
        <DeviceDialog vm={vm} id="virt-edit-nic" title={cockpit.format(_("Edit interface $0"), nic.mac ?? "")}
                      submitLabel={_("Save")} action="nic-edit" chooseScope={false} params={params} onDone={onDone}
                      successTitle={r => cockpit.format(_("Interface $0 changed: $1"), r.mac ?? "", whereText(r))}>
            <FormGroup label={_("Connect to")} role="radiogroup" isStack fieldId="virt-edit-nic-network">
                {radio("network", _("Virtual network"))}
                {radio("bridge", _("Host bridge"))}
                {radio("user", _("User-mode networking (no host setup, outgoing connections only)"))}
            </FormGroup>
            {kind === "network" &&
                <SelectField id="virt-edit-nic-network-name" label={_("Network")} value={chosenNetwork}
                             onChange={setNetwork} choices={choices(networks, network)} />}
            {kind === "bridge" &&
                <SelectField id="virt-edit-nic-bridge-name" label={_("Bridge")} value={chosenBridge}
                             onChange={setBridge} choices={choices(bridges, bridge)} />}
            <SelectField id="virt-edit-nic-model" label={_("Model")} value={model} onChange={setModel} choices={MODELS} />
            <FormGroup label={_("MAC address")} fieldId="virt-edit-nic-mac">
                <TextInput id="virt-edit-nic-mac" value={mac} onChange={(_ev, v) => setMac(v)} />
            </FormGroup>
            <Content component="p" className="virt-device-note">
                {_("These settings apply at the next boot. To connect or disconnect the running VM, plug or unplug the cable.")}
            </Content>
        </DeviceDialog>
    );
}

function RemoveNicDialog({ vm, nic, onDone }: { vm: Vm; nic: VmInterface; onDone: Done }) {
    const mac = nic.mac ?? "";
    return (
        <DeviceDialog vm={vm} id="virt-remove-nic" title={cockpit.format(_("Remove interface $0?"), mac)} danger
                      submitLabel={_("Remove")} action="nic-remove" params={() => ({ mac })} onDone={onDone}
                      successTitle={r => cockpit.format(_("Removed interface $0: $1"), mac, whereText(r))}>
            <Content component="p">
                {_("A running guest loses this network connection at once.")}
            </Content>
        </DeviceDialog>
    );
}

export const showAddNic = (vm: Vm) => openDeviceDialog(done => <AddNicDialog vm={vm} onDone={done} />);
export const showEditNic = (vm: Vm, nic: VmInterface) =>
    openDeviceDialog(done => <EditNicDialog vm={vm} nic={nic} onDone={done} />);
export const showRemoveNic = (vm: Vm, nic: VmInterface) =>
    openDeviceDialog(done => <RemoveNicDialog vm={vm} nic={nic} onDone={done} />);
