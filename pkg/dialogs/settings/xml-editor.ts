// The XML editor itself (CodeMirror 6: line numbers, XML highlighting, undo), loaded as a
// chunk of its own only when the Edit XML dialog opens. Colours come from PatternFly's tokens (page.css), so it
// follows the light and dark themes.

import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { xml } from "@codemirror/lang-xml";
import { HighlightStyle, bracketMatching, syntaxHighlighting } from "@codemirror/language";
import { EditorState } from "@codemirror/state";
import { EditorView, drawSelection, highlightActiveLine, highlightActiveLineGutter, keymap, lineNumbers } from "@codemirror/view";
import { tags } from "@lezer/highlight";

export interface XmlEditor {
    text(): string;
    /** Puts the cursor at the start of line `n` (1-based, clamped) and scrolls it into view. */
    goToLine(n: number): void;
    destroy(): void;
}

const theme = EditorView.theme({
    "&": {
        color: "var(--pf-t--global--text--color--regular)",
        backgroundColor: "var(--pf-t--global--background--color--primary--default)",
        border: "1px solid var(--pf-t--global--border--color--default)",
        height: "60vh",
    },
    ".cm-scroller": { fontFamily: "var(--pf-t--global--font--family--mono)", fontSize: "0.875rem" },
    ".cm-gutters": {
        backgroundColor: "var(--pf-t--global--background--color--secondary--default)",
        color: "var(--pf-t--global--text--color--subtle)",
        border: "none",
    },
    ".cm-activeLine, .cm-activeLineGutter": { backgroundColor: "color-mix(in srgb, var(--pf-t--global--text--color--link--default) 8%, transparent)" },
    "&.cm-focused .cm-selectionBackground, .cm-selectionBackground": {
        backgroundColor: "color-mix(in srgb, var(--pf-t--global--text--color--link--default) 25%, transparent)",
    },
    ".cm-cursor": { borderLeftColor: "var(--pf-t--global--text--color--regular)" },
});

const highlight = HighlightStyle.define([
    // page.css sets these per theme on the editor's host (custom properties inherit into the shadow root).
    { tag: tags.tagName, color: "var(--virt-xml-tag)" },
    { tag: tags.attributeName, color: "var(--virt-xml-attribute)" },
    { tag: tags.attributeValue, color: "var(--virt-xml-value)" },
    { tag: [tags.comment, tags.processingInstruction], color: "var(--pf-t--global--text--color--subtle)", fontStyle: "italic" },
    { tag: tags.invalid, color: "var(--pf-t--global--color--status--danger--default)" },
]);

export function createXmlEditor(parent: HTMLElement, doc: string, readOnly: boolean, label: string,
                                onChange: (text: string) => void): XmlEditor {
    // In a shadow root CodeMirror's styles go in through adoptedStyleSheets; in the document it would add a
    // <style> element, which Cockpit's Content Security Policy blocks. PatternFly's tokens still inherit.
    const root = parent.shadowRoot ?? parent.attachShadow({ mode: "open" });
    const view = new EditorView({
        parent: root,
        root,
        state: EditorState.create({
            doc,
            extensions: [
                lineNumbers(), highlightActiveLineGutter(), highlightActiveLine(), drawSelection(), history(),
                bracketMatching(), xml(), syntaxHighlighting(highlight), theme,
                // Tab is left to the browser, so keyboard users can leave the editor.
                keymap.of([...defaultKeymap, ...historyKeymap]),
                EditorState.readOnly.of(readOnly), EditorView.editable.of(!readOnly),
                EditorView.contentAttributes.of({ "aria-label": label }),
                EditorView.updateListener.of(update => {
                    if (update.docChanged)
                        onChange(update.state.doc.toString());
                }),
            ],
        }),
    });
    return {
        text: () => view.state.doc.toString(),
        goToLine: n => {
            const line = view.state.doc.line(Math.min(Math.max(1, n), view.state.doc.lines));
            view.dispatch({ selection: { anchor: line.from }, scrollIntoView: true });
            view.focus();
        },
        destroy: () => view.destroy(),
    };
}
