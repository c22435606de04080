// While the `create` channel runs: the helper's current step, with a bar when it says how far it is.

import { Content } from "@patternfly/react-core/dist/esm/components/Content/index.js";
import { Progress as ProgressBar } from "@patternfly/react-core/dist/esm/components/Progress/index.js";
import { Spinner } from "@patternfly/react-core/dist/esm/components/Spinner/index.js";
import { Title } from "@patternfly/react-core/dist/esm/components/Title/index.js";
import { Flex } from "@patternfly/react-core/dist/esm/layouts/Flex/index.js";
import { Stack } from "@patternfly/react-core/dist/esm/layouts/Stack/index.js";

import type { Progress } from "../../client/create.ts";
import { formatBytes } from "../../format.ts";

const _ = cockpit.gettext;

const STEP_TEXT: Record<string, string> = {
    volume: _("Creating the volume…"),
    copy: _("Copying the image…"),
    seed: _("Writing the cloud-init settings…"),
    define: _("Defining the VM…"),
    start: _("Starting the VM…"),
};

export function CreateProgress({ name, progress }: { name: string; progress: Progress | null }) {
    const text = progress ? progress.message || STEP_TEXT[progress.step] || progress.step : _("Checking the settings…");
    const measured = progress?.total ? progress : null;
    return (
        <Stack hasGutter className="virt-create-progress" data-step={progress?.step ?? "validate"} aria-live="polite">
            <Flex alignItems={{ default: "alignItemsCenter" }} spaceItems={{ default: "spaceItemsSm" }}>
                <Spinner size="md" aria-hidden />
                <Title headingLevel="h2" size="md">{cockpit.format(_("Creating $0"), name)}</Title>
            </Flex>
            <Content component="p">{text}</Content>
            {measured?.total &&
                <ProgressBar value={Math.min(100, 100 * (measured.done ?? 0) / measured.total)} aria-label={text}
                             label={cockpit.format(_("$0 of $1"), formatBytes(measured.done ?? 0), formatBytes(measured.total))}
                             measureLocation="outside" />}
        </Stack>
    );
}
