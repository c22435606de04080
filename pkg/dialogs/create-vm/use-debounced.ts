// Runs an asynchronous question about `key` once `key` has stayed the same for `delay` ms, abandoning the
// previous question; the answer (null when the question failed) is kept with the key it belongs to.

import { useEffect, useState } from "react";

export function useDebouncedAnswer<T>(key: string | null, delay: number,
                                      ask: (key: string, signal: AbortSignal) => Promise<T>): { key: string; answer: T | null } | null {
    const [result, setResult] = useState<{ key: string; answer: T | null } | null>(null);
    useEffect(() => {
        if (key === null)
            return;
        const abort = new AbortController();
        const timer = window.setTimeout(() => {
            ask(key, abort.signal).then(answer => {
                if (!abort.signal.aborted)
                    setResult({ key, answer });
            }, (err: unknown) => {
                if (abort.signal.aborted)
                    return;
                console.warn("create dialog:", err);
                setResult({ key, answer: null });
            });
        }, delay);
        return () => {
            window.clearTimeout(timer);
            abort.abort();
        };
    }, [key, delay, ask]);
    return result;
}
