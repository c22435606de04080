// The create dialog's field message: the shared one, with the element id of the field from the create contract.

import type React from "react";

import { FieldMessage as Shown } from "../field-message.tsx";

import { FIELD_IDS, type Field, type Messages } from "./form.ts";

export { validated } from "../field-message.tsx";

interface Props {
    field: Field;
    errors: Messages;
    warnings: Messages;
    /** shown when there is neither error nor warning */
    hint?: React.ReactNode;
}

export function FieldMessage({ field, ...rest }: Props) {
    return <Shown id={FIELD_IDS[field]} field={field} {...rest} />;
}
