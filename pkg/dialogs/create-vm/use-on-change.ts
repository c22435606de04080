// React's "adjusting state when a value changes": runs `onChange` during render when `value` differs from the
// previous render's, so derived defaults land in the same render instead of an effect's second one.

import { useState } from "react";

export function useOnChange<T>(value: T, onChange: (value: T) => void): void {
    const [previous, setPrevious] = useState(value);
    if (!Object.is(previous, value)) {
        setPrevious(value);
        onChange(value);
    }
}
