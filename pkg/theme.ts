// Follows the Cockpit shell's light/dark choice: localStorage "shell:style" is "auto", "dark" or "light"
// (auto = the browser's prefers-color-scheme). The shell writes it from the other frame; `storage` events tell us.

const STYLE_KEY = "shell:style";
const DARK_CLASS = "pf-v6-theme-dark";

function apply(media: MediaQueryList): void {
    const style = window.localStorage.getItem(STYLE_KEY) ?? "auto";
    const dark = style === "dark" || (style !== "light" && media.matches);
    document.documentElement.classList.toggle(DARK_CLASS, dark);
}

export function followShellTheme(): void {
    const media = window.matchMedia("(prefers-color-scheme: dark)");
    apply(media);
    media.addEventListener("change", () => apply(media));
    window.addEventListener("storage", ev => {
        if (ev.key === STYLE_KEY || ev.key === null)
            apply(media);
    });
}
