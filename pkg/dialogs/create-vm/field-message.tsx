// A field's error or warning under it: the error in `<field-id>-error`, the warning in `<field-id>-warning`
// (the test hooks of the create contract).

import { FormHelperText } from "@patternfly/react-core/dist/esm/components/Form/index.js";
import { HelperText, HelperTextItem } from "@patternfly/react-core/dist/esm/components/HelperText/index.js";
import type React from "react";

import { FIELD_IDS, type Field, type Messages } from "./form.ts";

interface Props {
    field: Field;
    errors: Messages;
    warnings: Messages;
    /** shown when there is neither error nor warning */
    hint?: React.ReactNode;
}

export function FieldMessage({ field, errors, warnings, hint }: Props) {
    const id = FIELD_IDS[field];
    const error = errors[field];
    const warning = warnings[field];
    if (!error && !warning && hint === undefined)
        return null;
    return (
        <FormHelperText>
            <HelperText>
                {error
                    ? <HelperTextItem id={`${id}-error`} variant="error">{error}</HelperTextItem>
                    : warning
                        ? <HelperTextItem id={`${id}-warning`} variant="warning">{warning}</HelperTextItem>
                        : <HelperTextItem>{hint}</HelperTextItem>}
            </HelperText>
        </FormHelperText>
    );
}

/** The `validated` of a PF input for the field. */
export function validated(field: Field, errors: Messages, warnings: Messages): "error" | "warning" | "default" {
    return errors[field] ? "error" : warnings[field] ? "warning" : "default";
}
