// A line diff for the XML editor's review step: the longest common subsequence of lines between the common
// prefix and suffix (domain XML is a few hundred lines; beyond a bound, the middle is shown as removed + added).

export interface DiffLine {
    kind: "same" | "add" | "remove";
    text: string;
}

const MAX_CELLS = 4_000_000;

export function lineDiff(before: string, after: string): DiffLine[] {
    const a = before.split("\n");
    const b = after.split("\n");
    let start = 0;
    while (start < a.length && start < b.length && a[start] === b[start])
        start++;
    let endA = a.length;
    let endB = b.length;
    while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
        endA--;
        endB--;
    }
    const same = (lines: string[]) => lines.map(text => ({ kind: "same" as const, text }));
    const midA = a.slice(start, endA);
    const midB = b.slice(start, endB);
    let middle: DiffLine[];
    if (midA.length * midB.length > MAX_CELLS) {
        middle = [...midA.map(text => ({ kind: "remove" as const, text })), ...midB.map(text => ({ kind: "add" as const, text }))];
    } else {
        // cell(i, j): length of the LCS of midA[i..] and midB[j..]
        const n = midA.length;
        const m = midB.length;
        const lcs = new Uint32Array((n + 1) * (m + 1));
        const cell = (i: number, j: number) => lcs[i * (m + 1) + j] ?? 0;
        const lineA = (i: number) => midA[i] ?? "";
        const lineB = (j: number) => midB[j] ?? "";
        for (let i = n - 1; i >= 0; i--) {
            for (let j = m - 1; j >= 0; j--)
                lcs[i * (m + 1) + j] = lineA(i) === lineB(j) ? cell(i + 1, j + 1) + 1 : Math.max(cell(i + 1, j), cell(i, j + 1));
        }
        middle = [];
        let i = 0;
        let j = 0;
        while (i < n || j < m) {
            if (i < n && j < m && lineA(i) === lineB(j)) {
                middle.push({ kind: "same", text: lineA(i) });
                i++;
                j++;
            } else if (i < n && (j === m || cell(i + 1, j) >= cell(i, j + 1))) {
                // Removed lines before the added ones that replace them.
                middle.push({ kind: "remove", text: lineA(i) });
                i++;
            } else {
                middle.push({ kind: "add", text: lineB(j) });
                j++;
            }
        }
    }
    return [...same(a.slice(0, start)), ...middle, ...same(a.slice(endA))];
}
