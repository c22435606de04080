// vCPUs: the count (hot-plugged while the VM runs, up to its running maximum), the maximum and the topology
// (next boot). Changing the maximum refits the sockets so the product stays right where it can.

import { FormGroup } from "@patternfly/react-core/dist/esm/components/Form/index.js";
import { TextInput } from "@patternfly/react-core/dist/esm/components/TextInput/index.js";
import { Grid, GridItem } from "@patternfly/react-core/dist/esm/layouts/Grid/index.js";

import type { SettingsChange, SettingsCheck, Topology } from "../../client/settings.ts";
import { FieldMessage, validated } from "../field-message.tsx";

import { type FieldsProps, type Request, wholeNumber } from "./settings-dialog.tsx";

const _ = cockpit.gettext;

const PARTS = ["sockets", "dies", "cores", "threads"] as const;

export interface VcpusForm {
    vcpus: string;
    maxVcpus: string;
    sockets: string;
    dies: string;
    cores: string;
    threads: string;
}

function savedTopology(check: SettingsCheck): Topology {
    const saved = check.current.saved;
    return saved.topology ?? { sockets: saved.maxVcpus, dies: 1, cores: 1, threads: 1 };
}

export function vcpusInit(check: SettingsCheck): VcpusForm {
    const now = check.current.live ?? check.current.saved;
    const t = savedTopology(check);
    return {
        vcpus: String(now.vcpus), maxVcpus: String(check.current.saved.maxVcpus),
        sockets: String(t.sockets), dies: String(t.dies), cores: String(t.cores), threads: String(t.threads),
    };
}

export function vcpusRequest(form: VcpusForm, check: SettingsCheck): Request {
    const change: SettingsChange = {};
    const unreadable: Record<string, string> = {};
    const { saved } = check.current;
    // What the dialog opened with counts as unchanged.
    const opened = vcpusInit(check);
    const vcpus = wholeNumber(form.vcpus);
    const max = wholeNumber(form.maxVcpus);
    if (vcpus === null)
        unreadable.vcpus = _("Enter a whole number.");
    else if (form.vcpus !== opened.vcpus)
        change.vcpus = vcpus;
    if (max === null)
        unreadable.maxVcpus = _("Enter a whole number.");
    else if (form.maxVcpus !== opened.maxVcpus)
        change.maxVcpus = max;
    const [sockets, dies, cores, threads] = PARTS.map(p => wholeNumber(form[p]));
    if (sockets === null || dies === null || cores === null || threads === null ||
        sockets === undefined || dies === undefined || cores === undefined || threads === undefined) {
        unreadable.topology = _("Enter whole numbers.");
    } else {
        const topology: Topology = { sockets, dies, cores, threads };
        const before = savedTopology(check);
        if (PARTS.some(p => topology[p] !== before[p]) || (saved.topology && change.maxVcpus !== undefined))
            change.topology = topology;
    }
    if (change.vcpus !== undefined || change.maxVcpus !== undefined) {
        if (vcpus !== null)
            change.vcpus = vcpus;
        if (max !== null)
            change.maxVcpus = max;
    }
    return { change, unreadable };
}

/** The form after the maximum changed: sockets refitted when the other parts divide the new maximum. */
function withMax(form: VcpusForm, maxVcpus: string): VcpusForm {
    const max = wholeNumber(maxVcpus);
    const rest = ["dies", "cores", "threads"].map(p => wholeNumber(form[p as keyof VcpusForm]));
    if (max === null || max === 0 || rest.some(p => p === null || p === 0))
        return { ...form, maxVcpus };
    const per = (rest as number[]).reduce((a, b) => a * b, 1);
    if (max % per === 0)
        return { ...form, maxVcpus, sockets: String(max / per) };
    return { ...form, maxVcpus, sockets: String(max), dies: "1", cores: "1", threads: "1" };
}

const LABELS: Record<typeof PARTS[number], string> = {
    sockets: _("Sockets"), dies: _("Dies"), cores: _("Cores"), threads: _("Threads"),
};

export function VcpusFields({ form, setForm, check, errors, warnings }: FieldsProps<VcpusForm>) {
    const { running, live } = check.current;
    const hostMax = check.limits.maxVcpus;
    return (
        <>
            <FormGroup label={_("vCPUs")} fieldId="virt-settings-vcpus">
                <TextInput id="virt-settings-vcpus" value={form.vcpus} inputMode="numeric"
                           validated={validated("vcpus", errors, warnings)}
                           onChange={(_ev, vcpus) => setForm({ ...form, vcpus })} />
                <FieldMessage id="virt-settings-vcpus" field="vcpus" errors={errors} warnings={warnings}
                         hint={running && live
                             ? cockpit.format(_("Added or removed at once where the guest supports it, up to $0."), live.maxVcpus)
                             : _("Up to the maximum.")} />
            </FormGroup>
            <FormGroup label={_("Maximum vCPUs")} fieldId="virt-settings-max-vcpus">
                <TextInput id="virt-settings-max-vcpus" value={form.maxVcpus} inputMode="numeric"
                           validated={validated("maxVcpus", errors, warnings)}
                           onChange={(_ev, v) => setForm(withMax(form, v))} />
                <FieldMessage id="virt-settings-max-vcpus" field="maxVcpus" errors={errors} warnings={warnings}
                         hint={[running ? _("Takes effect after the VM shuts down.") : "",
                             hostMax ? cockpit.format(_("This host allows up to $0."), hostMax) : ""].join(" ").trim() || undefined} />
            </FormGroup>
            <FormGroup label={_("Topology")} fieldId="virt-settings-sockets" role="group">
                <Grid hasGutter md={3}>
                    {PARTS.map(part =>
                        <GridItem key={part}>
                            <FormGroup label={LABELS[part]} fieldId={`virt-settings-${part}`}>
                                <TextInput id={`virt-settings-${part}`} value={form[part]} inputMode="numeric"
                                           validated={validated("topology", errors, warnings)}
                                           onChange={(_ev, v) => setForm({ ...form, [part]: v })} />
                            </FormGroup>
                        </GridItem>)}
                </Grid>
                <FieldMessage id="virt-settings-topology" field="topology" errors={errors} warnings={warnings}
                         hint={_("Dies per socket, cores per die, threads per core. Sockets × dies × cores × threads must equal the maximum vCPUs.")} />
            </FormGroup>
        </>
    );
}
