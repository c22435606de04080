// A field's error or warning under it, else its hint: the error in `<field-id>-error`, the warning in
// `<field-id>-warning` (the test hooks of the create and settings dialogs). The create dialog's and the
// settings dialogs' fields both show the helper's verdicts through this.

import { FormHelperText } from "@patternfly/react-core/dist/esm/components/Form/index.js";
import { HelperText, HelperTextItem } from "@patternfly/react-core/dist/esm/components/HelperText/index.js";
import type React from "react";

/** The helper's messages, by field name. */
export type FieldMessages<F extends string = string> = Readonly<Partial<Record<F, string>>>;

interface Props<F extends string> {
    /** the input's element id */
    id: string;
    field: F;
    errors: FieldMessages<F>;
    warnings: FieldMessages<F>;
    /** shown when there is neither error nor warning */
    hint?: React.ReactNode;
}

export function FieldMessage<F extends string>({ id, field, errors, warnings, hint }: Props<F>) {
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
export function validated<F extends string>(field: F, errors: FieldMessages<F>, warnings: FieldMessages<F>): "error" | "warning" | "default" {
    return errors[field] ? "error" : warnings[field] ? "warning" : "default";
}
