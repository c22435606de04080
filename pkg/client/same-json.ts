// Deep equality for JSON values (what JSON.parse returns): no cycles, no Dates, key order ignored.
export function sameJson(a: unknown, b: unknown): boolean {
    if (a === b)
        return true;
    if (typeof a !== "object" || typeof b !== "object" || a === null || b === null)
        return false;
    if (Array.isArray(a) !== Array.isArray(b))
        return false;
    if (Array.isArray(a) && Array.isArray(b))
        return a.length === b.length && a.every((item, i) => sameJson(item, b[i]));
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    if (ka.length !== kb.length)
        return false;
    const rb = b as Record<string, unknown>;
    const ra = a as Record<string, unknown>;
    return ka.every(k => Object.prototype.hasOwnProperty.call(rb, k) && sameJson(ra[k], rb[k]));
}
