// The full text behind a failure's one-sentence message (QEMU's output when a VM could not start), behind a toggle.

import { useState } from "react";

import { ExpandableSection } from "@patternfly/react-core/dist/esm/components/ExpandableSection/index.js";

const _ = cockpit.gettext;

export function FailureDetail({ detail }: { detail: string }) {
    const [expanded, setExpanded] = useState(false);
    return (
        <ExpandableSection toggleText={expanded ? _("Hide details") : _("Show details")} isExpanded={expanded}
                           onToggle={(_ev, open) => setExpanded(open)} className="virt-failure-detail">
            <pre className="virt-failure-detail-text">{detail}</pre>
        </ExpandableSection>
    );
}
