// Subscriber sets: a plain set for one topic, and a map of sets for per-key topics.

export class Listeners {
    #set = new Set<() => void>();

    subscribe = (listener: () => void): (() => void) => {
        this.#set.add(listener);
        return () => { this.#set.delete(listener) };
    };

    notify(): void {
        for (const listener of [...this.#set])
            listener();
    }
}

export class KeyedListeners {
    #map = new Map<string, Set<() => void>>();

    subscribe(key: string, listener: () => void): () => void {
        let set = this.#map.get(key);
        if (!set) {
            set = new Set();
            this.#map.set(key, set);
        }
        set.add(listener);
        return () => {
            set.delete(listener);
            if (set.size === 0)
                this.#map.delete(key);
        };
    }

    notify(key: string): void {
        const set = this.#map.get(key);
        if (set) {
            for (const listener of [...set])
                listener();
        }
    }
}
