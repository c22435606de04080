// Start-up moments as Performance API marks (`virt:*`), each set once: bench/startup.mjs reads them to tell where
// the page's start-up time went. A mark costs microseconds.

const marked = new Set<string>();

export function markOnce(name: string): void {
    if (marked.has(name))
        return;
    marked.add(name);
    performance.mark(name);
}
