// A VM's state as a coloured label with an icon, so it reads at a glance and without colour.

import { ExclamationCircleIcon } from "@patternfly/react-icons/dist/esm/icons/exclamation-circle-icon.js";
import { HourglassHalfIcon } from "@patternfly/react-icons/dist/esm/icons/hourglass-half-icon.js";
import { InProgressIcon } from "@patternfly/react-icons/dist/esm/icons/in-progress-icon.js";
import { MoonIcon } from "@patternfly/react-icons/dist/esm/icons/moon-icon.js";
import { PauseIcon } from "@patternfly/react-icons/dist/esm/icons/pause-icon.js";
import { PlayIcon } from "@patternfly/react-icons/dist/esm/icons/play-icon.js";
import { PowerOffIcon } from "@patternfly/react-icons/dist/esm/icons/power-off-icon.js";
import { QuestionCircleIcon } from "@patternfly/react-icons/dist/esm/icons/question-circle-icon.js";
import type React from "react";

import { stateLabel } from "../format.ts";
import type { VmState } from "../types.ts";

import { PlainLabel, type PlainLabelColor } from "./plain-label.tsx";

const LOOK: Record<VmState, { color: PlainLabelColor; icon: React.ReactNode }> = {
    running: { color: "green", icon: <PlayIcon /> },
    blocked: { color: "teal", icon: <HourglassHalfIcon /> },
    paused: { color: "orange", icon: <PauseIcon /> },
    shutdown: { color: "blue", icon: <InProgressIcon /> },
    shutoff: { color: "grey", icon: <PowerOffIcon /> },
    crashed: { color: "red", icon: <ExclamationCircleIcon /> },
    pmsuspended: { color: "purple", icon: <MoonIcon /> },
    nostate: { color: "grey", icon: <QuestionCircleIcon /> },
};

export function VmStateLabel({ state, isCompact = false }: { state: VmState; isCompact?: boolean }) {
    // An unknown state (a newer helper) looks like nostate.
    const look = (LOOK as Partial<Record<string, typeof LOOK.nostate>>)[state] ?? LOOK.nostate;
    return (
        <PlainLabel color={look.color} icon={look.icon} isCompact={isCompact} className="virt-state">
            {stateLabel(state)}
        </PlainLabel>
    );
}
