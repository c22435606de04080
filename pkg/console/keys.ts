// Keystrokes for the VNC console: the key menu's combinations and pasted text as key presses. Keysyms are X11's
// (RFC 6143 §7.5.4); codes are KeyboardEvent.code names, which noVNC turns into scancodes for QEMU's extended
// key events (so the guest sees the physical key whatever QEMU's keymap).

const _ = cockpit.gettext;

export interface KeyStroke {
    keysym: number;
    code: string | null;
    down: boolean;
}

const XK = {
    BackSpace: 0xff08, Tab: 0xff09, Return: 0xff0d, Escape: 0xff1b, Delete: 0xffff, Print: 0xff61,
    Shift_L: 0xffe1, Control_L: 0xffe3, Alt_L: 0xffe9, F1: 0xffbe,
} as const;

const press = (keysym: number, code: string | null): KeyStroke[] =>
    [{ keysym, code, down: true }, { keysym, code, down: false }];

/** Holds `modifiers` down around `keys`. */
function chord(modifiers: readonly [number, string][], keys: readonly KeyStroke[]): KeyStroke[] {
    return [
        ...modifiers.map(([keysym, code]) => ({ keysym, code, down: true })),
        ...keys,
        ...[...modifiers].reverse().map(([keysym, code]) => ({ keysym, code, down: false })),
    ];
}

const CTRL_ALT: readonly [number, string][] = [[XK.Control_L, "ControlLeft"], [XK.Alt_L, "AltLeft"]];

export interface KeyCombo {
    id: string;
    label: string;
    keys: KeyStroke[];
}

/** The key menu: what a browser would not pass on (it or the host OS takes these keys itself). */
export const KEY_COMBOS: readonly KeyCombo[] = [
    { id: "ctrl-alt-del", label: _("Ctrl+Alt+Del"), keys: chord(CTRL_ALT, press(XK.Delete, "Delete")) },
    { id: "ctrl-alt-backspace", label: _("Ctrl+Alt+Backspace"), keys: chord(CTRL_ALT, press(XK.BackSpace, "Backspace")) },
    ...Array.from({ length: 12 }, (_unused, i) => ({
        id: `ctrl-alt-f${i + 1}`,
        label: cockpit.format(_("Ctrl+Alt+F$0"), i + 1),
        keys: chord(CTRL_ALT, press(XK.F1 + i, `F${i + 1}`)),
    })),
    { id: "print", label: _("Print Screen"), keys: press(XK.Print, "PrintScreen") },
    { id: "escape", label: _("Escape"), keys: press(XK.Escape, "Escape") },
];

/** Characters a US keyboard types with Shift (letters aside). */
const SHIFTED = new Set('~!@#$%^&*()_+{}|:"<>?');

/**
 * `text` as key presses. Keysyms for Latin-1 equal the code point; other characters use Unicode keysyms
 * (0x1000000 + code point), which QEMU types only if its keymap knows them. Characters that need Shift on a US
 * keyboard are sent with Shift held, so QEMU's scancode for the base key yields the right character.
 */
export function textToKeys(text: string): KeyStroke[] {
    const keys: KeyStroke[] = [];
    for (const ch of text.replace(/\r\n?/g, "\n")) {
        const cp = ch.codePointAt(0) ?? 0;
        let keysym: number;
        if (ch === "\n")
            keysym = XK.Return;
        else if (ch === "\t")
            keysym = XK.Tab;
        else if (cp >= 0x20 && cp <= 0x7e || cp >= 0xa0 && cp <= 0xff)
            keysym = cp;
        else if (cp > 0xff)
            keysym = 0x1000000 + cp;
        else
            continue; // other control characters
        const stroke = press(keysym, null);
        const shifted = SHIFTED.has(ch) || ch >= "A" && ch <= "Z";
        keys.push(...(shifted ? chord([[XK.Shift_L, "ShiftLeft"]], stroke) : stroke));
    }
    return keys;
}
