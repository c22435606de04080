// The page's main script (dist/index.js) is started by boot.js, not by index.html (which only preloads it): its
// evaluation and first render take the renderer thread for ~40–60 ms, and everything the early watches wait for
// (their socket's init, the shell's init, the helper's first answer) is a task on that same thread. So the main
// script waits until the early watches' opens are sent, and no longer than MAIN_SCRIPT_BOUND_MS; its own fetch
// started with the page's.

/** The main script starts by then, whatever the early watches' socket does. */
const MAIN_SCRIPT_BOUND_MS = 120;

export function startMainScript(after: Promise<void>): void {
    let started = false;
    const start = () => {
        if (started)
            return;
        started = true;
        const script = document.createElement("script");
        script.type = "module";
        script.src = "index.js";
        document.head.append(script);
    };
    after.then(start, start);
    window.setTimeout(start, MAIN_SCRIPT_BOUND_MS);
}
