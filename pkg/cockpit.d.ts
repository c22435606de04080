// The parts of the `cockpit` global (../base1/cockpit.js, loaded by index.html) that this page uses.
// cockpit.js is not bundled: it comes from the installed Cockpit, so these are declarations only.

declare namespace cockpit {
    type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

    interface ChannelOptions {
        payload: string;
        binary?: boolean;
        [option: string]: JsonValue | undefined;
    }

    interface CloseOptions {
        problem?: string;
        message?: string;
        [field: string]: JsonValue | undefined;
    }

    interface Channel {
        readonly valid: boolean;
        readonly options: ChannelOptions;
        send(data: string): void;
        close(problem?: string | CloseOptions): void;
        addEventListener(type: "message", listener: (ev: Event, data: string) => void): void;
        addEventListener(type: "ready" | "close", listener: (ev: Event, options: CloseOptions) => void): void;
        removeEventListener(type: "ready" | "message" | "close", listener: (...args: never[]) => void): void;
    }

    interface UserInfo {
        id: number;
        gid?: number;
        name: string;
        full_name: string;
        groups: string[];
        home: string;
        shell: string;
    }

    interface Location {
        readonly path: string[];
        readonly options: Record<string, string | string[]>;
        readonly href: string;
        go(path: string | string[], options?: Record<string, string>): void;
        replace(path: string | string[], options?: Record<string, string>): void;
        encode(path: string[], options?: Record<string, string>): string;
    }

    type FormatArg = string | number | boolean | null | undefined;

    /** A D-Bus proxy: properties as fields, methods as functions returning promises, signals as events. */
    interface DBusProxy {
        readonly valid: boolean;
        wait(): Promise<void>;
        addEventListener(type: string, listener: (ev: Event, ...args: never[]) => void): void;
        removeEventListener(type: string, listener: (ev: Event, ...args: never[]) => void): void;
        [member: string]: unknown;
    }

    interface DBusClient {
        proxy(iface: string, path: string): DBusProxy;
        close(): void;
    }

    /** Only the shell's internal bus is used here (cockpit.Superuser). */
    function dbus(name: null, options: { bus: "internal" }): DBusClient;

    function channel(options: ChannelOptions): Channel;
    function gettext(message: string): string;
    function ngettext(singular: string, plural: string, n: number): string;
    function format(template: string, ...args: FormatArg[]): string;
    function message(problem: string | { problem?: string | null; message?: string }): string;
    function user(): Promise<UserInfo>;
    function addEventListener(type: "visibilitychange" | "locationchanged", listener: () => void): void;
    function removeEventListener(type: "visibilitychange" | "locationchanged", listener: () => void): void;

    const hidden: boolean;
    const location: Location;
    const language: string;
    /** `host` is the machine this page manages: "localhost", or the `[user@]host` of a remote session. */
    const transport: {
        readonly host: string;
        /** Calls back once the transport has its init (in a frame: from the shell). */
        wait(callback: () => void): void;
        /** The URL of cockpit-ws's WebSocket `suffix` ("socket": the one cockpit.js connects to outside the shell). */
        uri(suffix?: string): string;
    };
}
