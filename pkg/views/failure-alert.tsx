// An action's failure, next to the VM it is about, with libvirt's message; stays until dismissed.

import { Alert, AlertActionCloseButton } from "@patternfly/react-core/dist/esm/components/Alert/index.js";

import { actionState, type ActionFailure } from "../store/action-state.ts";

import { FailureDetail } from "./failure-detail.tsx";

const _ = cockpit.gettext;

interface Props {
    vmKey: string;
    vmName: string;
    failure: ActionFailure;
    /** one line, with the full text in a tooltip (table rows have a fixed height) */
    isCompact?: boolean;
}

export function FailureAlert({ vmKey, vmName, failure, isCompact = false }: Props) {
    const close = <AlertActionCloseButton aria-label={cockpit.format(_("Dismiss the error about $0"), vmName)}
                                          onClose={() => actionState.dismiss(vmKey)} />;
    if (isCompact) {
        return (
            <Alert variant="danger" isInline isPlain truncateTitle={1} actionClose={close}
                   className="virt-failure-alert"
                   title={cockpit.format("$0: $1", failure.title, failure.message)} />
        );
    }
    return (
        <Alert variant="danger" isInline actionClose={close} className="virt-failure-alert" title={failure.title}>
            {failure.message}
            {failure.detail && <FailureDetail detail={failure.detail} />}
        </Alert>
    );
}
