// React's "adjusting state when a value changes": runs `onChange` during render when `value` differs from the
// previous render's (and, with `onMount`, on the first render too), so derived defaults land in the same render
// instead of an effect's second one.

import { useState } from "react";

const NOTHING = Symbol("nothing yet");

export function useOnChange<T>(value: T, onChange: (value: T) => void, onMount = false): void {
    const [previous, setPrevious] = useState<T | typeof NOTHING>(onMount ? NOTHING : value);
    if (!Object.is(previous, value)) {
        setPrevious(value);
        onChange(value);
    }
}
