// A minimal typed event emitter: `on` returns the function that removes the handler.

type Handler<T> = (arg: T) => void;

export class Emitter<Events extends Record<string, unknown>> {
    #handlers: { [E in keyof Events]?: Set<Handler<Events[E]>> } = {};

    on<E extends keyof Events>(event: E, handler: Handler<Events[E]>): () => void {
        const set = this.#handlers[event] ?? new Set<Handler<Events[E]>>();
        this.#handlers[event] = set;
        set.add(handler);
        return () => { set.delete(handler) };
    }

    protected emit<E extends keyof Events>(event: E, arg: Events[E]): void {
        for (const handler of [...this.#handlers[event] ?? []])
            handler(arg);
    }
}
