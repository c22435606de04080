// PatternFly's label look as plain markup, for labels that sit in every list row. PatternFly's Label component
// measures its text in a layout effect (forcing a layout per label) and listens on the whole document for its
// editable variant; a row's label is never editable, and a long state name wraps rather than truncates.

import "@patternfly/react-styles/css/components/Label/label.css";
import RhUiWarningFillIcon from "@patternfly/react-icons/dist/esm/icons/rh-ui-warning-fill-icon.js";
import type React from "react";

export type PlainLabelColor = "blue" | "teal" | "green" | "orange" | "purple" | "red" | "grey";

interface Props {
    /** the palette colour; `warning` gives the status look (its colour and icon) instead */
    color?: PlainLabelColor;
    warning?: boolean;
    icon?: React.ReactNode;
    isCompact?: boolean;
    className?: string;
    title?: string;
    children: React.ReactNode;
}

export function PlainLabel({ color = "grey", warning = false, icon, isCompact = false, className, title, children }: Props) {
    const classes = ["pf-v6-c-label", "pf-m-filled"];
    if (warning)
        classes.push("pf-m-warning");
    else if (color !== "grey")
        classes.push(`pf-m-${color}`);
    if (isCompact)
        classes.push("pf-m-compact");
    if (className)
        classes.push(className);
    const shownIcon = warning ? <RhUiWarningFillIcon /> : icon;
    return (
        <span className={classes.join(" ")} {...title ? { title } : {}}>
            <span className="pf-v6-c-label__content">
                {shownIcon && <span className="pf-v6-c-label__icon">{shownIcon}</span>}
                <span className="pf-v6-c-label__text">{children}</span>
            </span>
        </span>
    );
}
