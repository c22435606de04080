// The create dialog's rules that the page can check by itself (issue 5, shared/cockpit-machines.md §1), as pure
// functions, for instant feedback. The helper is the authority (its `create` validate answer also has what needs
// the host: paths readable by QEMU, pool space…); tests/data/create-validation.json holds the rules both check,
// and both sides' tests run it.

import { type CreateForm, type Messages, memoryMib, parseNumber, sshKeyLines, usesStorageChoice } from "./form.ts";

const _ = cockpit.gettext;

export interface Validation {
    errors: Messages;
    warnings: Messages;
}

/** What the rules compare against; null where the host did not say. */
export interface ValidationContext {
    /** names of the VMs on the form's connection */
    existingNames: ReadonlySet<string>;
    hostMemoryMib: number | null;
    hostCpus: number | null;
    /** bytes free in the chosen pool */
    poolAvailable: number | null;
    /** whether KVM can run guests here, and why not */
    kvm: { usable: boolean; reason: string } | null;
}

const URL_SCHEMES = ["http://", "https://", "ftp://", "nfs://"];
/** `type base64 [comment]` of an authorized_keys line (no options), as the helper checks it. */
const SSH_KEY = /^(ssh-(rsa|dss|ed25519)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)\s+[A-Za-z0-9+/]{16,}={0,2}(\s.*)?$/;
const LOGIN = /^[a-z_][a-z0-9_.-]*\$?$/i;
/** Whether `text` has C0 or C1 control characters (Rust's char::is_control, as the helper checks). */
function hasControl(text: string): boolean {
    for (const char of text) {
        const code = char.codePointAt(0) ?? 0;
        if (code < 0x20 || (code >= 0x7f && code <= 0x9f))
            return true;
    }
    return false;
}

/** Characters as the helper counts them: Unicode code points, not UTF-16 units. */
function codePoints(text: string): number {
    return Array.from(text).length;
}
const HOSTNAME = /^(?=.{1,253}$)[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

function formatMib(mib: number): string {
    return mib >= 1024 && mib % 1024 === 0 ? cockpit.format(_("$0 GiB"), mib / 1024)
        : mib >= 1024 ? cockpit.format(_("$0 GiB"), (mib / 1024).toFixed(1)) : cockpit.format(_("$0 MiB"), mib);
}

/** libvirt refuses a name that is empty or holds "/" (QEMU files are named after it) or control characters. */
export function checkName(name: string, existing: ReadonlySet<string>): string | undefined {
    if (name.trim() === "")
        return _("Enter a name for the VM");
    if (name.includes("/"))
        return _("The name cannot contain \"/\"");
    if (hasControl(name))
        return _("The name cannot contain control characters");
    if (new TextEncoder().encode(name).length > 200)
        return _("The name is too long");
    if (existing.has(name))
        return cockpit.format(_("A VM named \"$0\" already exists"), name);
    return undefined;
}

export function checkSource(form: Pick<CreateForm, "sourceKind" | "source" | "pxe">): string | undefined {
    const source = form.source.trim();
    switch (form.sourceKind) {
    case "iso":
        if (source === "")
            return _("Enter the path of the installation media");
        return source.startsWith("/") ? undefined : _("The path must be absolute (start with /)");
    case "url":
        if (source === "")
            return _("Enter the URL of the installation source");
        if (!URL_SCHEMES.some(scheme => source.toLowerCase().startsWith(scheme)))
            return _("The URL must start with http://, https://, ftp:// or nfs://");
        return /\s/.test(source) ? _("The URL cannot contain spaces") : undefined;
    case "pxe":
        return form.pxe === "" ? _("Choose a network or bridge to boot from") : undefined;
    case "cloud":
    case "import":
        if (source === "")
            return _("Enter the path of the disk image");
        return source.startsWith("/") ? undefined : _("The path must be absolute (start with /)");
    }
}

/** A warning for a password that is easy to guess: short, or of one kind of character only. */
export function weakPassword(password: string): string | undefined {
    if (password === "")
        return undefined;
    const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^a-zA-Z0-9]/].filter(re => re.test(password)).length;
    if (codePoints(password) < 8 || classes < 2)
        return _("This password is weak: use 8 or more characters of several kinds");
    return undefined;
}

function checkCloud(form: CreateForm, errors: Messages, warnings: Messages): void {
    const login = form.login.trim();
    const keys = sshKeyLines(form.sshKeys);
    if (login && !form.password && keys.length === 0)
        errors["source.user.password"] = _("Set a password or an SSH key for the user");
    if (!login && form.password)
        errors["source.user.login"] = _("Enter a user login for the password");
    else if (!login && keys.length > 0)
        errors["source.user.login"] = _("Enter a user login for the SSH keys");
    else if (login && !LOGIN.test(login))
        errors["source.user.login"] = _("A login is made of letters, digits, \"_\", \".\" and \"-\"");
    const badKey = keys.findIndex(line => !SSH_KEY.test(line));
    if (badKey >= 0)
        errors["source.user.ssh_keys"] = cockpit.format(_("Line $0 is not an SSH public key"), badKey + 1);
    const hostname = form.hostname.trim();
    if (hostname && !HOSTNAME.test(hostname))
        errors["source.hostname"] = _("A host name is made of letters, digits and \"-\", in parts separated by \".\"");

    const weakUser = weakPassword(form.password);
    if (weakUser)
        warnings["source.user.password"] = weakUser;
    const weakRoot = weakPassword(form.rootPassword);
    if (weakRoot)
        warnings["source.root_password"] = weakRoot;
}

function checkResources(form: CreateForm, ctx: ValidationContext, errors: Messages): void {
    const memory = memoryMib(form);
    if (Number.isNaN(memory))
        errors.memory_mib = _("Enter the memory as a number");
    else if (memory <= 0)
        errors.memory_mib = _("Memory must be more than 0");
    else if (ctx.hostMemoryMib !== null && memory > ctx.hostMemoryMib)
        errors.memory_mib = cockpit.format(_("Only $0 available on host"), formatMib(ctx.hostMemoryMib));

    const vcpus = parseNumber(form.vcpus);
    if (!Number.isInteger(vcpus) || vcpus < 1)
        errors.vcpus = _("Enter a number of vCPUs of 1 or more");
    else if (ctx.hostCpus !== null && vcpus > ctx.hostCpus)
        errors.vcpus = cockpit.format(cockpit.ngettext("The host has $0 CPU", "The host has $0 CPUs", ctx.hostCpus),
                                      ctx.hostCpus);
}

function checkStorage(form: CreateForm, ctx: ValidationContext, errors: Messages, warnings: Messages): void {
    const newVolume = form.sourceKind === "cloud" || (usesStorageChoice(form.sourceKind) && form.storageKind === "new");
    if (newVolume) {
        if (form.pool === "")
            errors["storage.pool"] = _("Choose a storage pool");
        const size = parseNumber(form.size);
        if (form.size.trim() === "")
            errors["storage.size_gib"] = _("Enter a size");
        else if (Number.isNaN(size))
            errors["storage.size_gib"] = _("Enter the size as a number");
        else if (size <= 0)
            errors["storage.size_gib"] = _("Size must be more than 0");
        else if (ctx.poolAvailable !== null && size * 1024 ** 3 > ctx.poolAvailable)
            warnings["storage.size_gib"] = _("The pool does not have this much free space now; the volume grows as the guest writes");
    } else if (usesStorageChoice(form.sourceKind) && form.storageKind === "volume") {
        if (form.pool === "")
            errors["storage.pool"] = _("Choose a storage pool");
        if (form.volume.trim() === "")
            errors.storage = _("Enter the name of an existing volume");
    }
}

/** Every rule the page can check; an empty `errors` means the form may be sent to the helper. */
export function validateForm(form: CreateForm, ctx: ValidationContext): Validation {
    const errors: Messages = {};
    const warnings: Messages = {};
    const nameError = checkName(form.name, ctx.existingNames);
    if (nameError)
        errors.name = nameError;
    if (form.os === null)
        errors.os = _("Choose an operating system, or \"Generic OS\" if it is not listed");
    const sourceError = checkSource(form);
    if (sourceError)
        errors.source = sourceError;
    if (form.sourceKind === "cloud")
        checkCloud(form, errors, warnings);
    checkResources(form, ctx, errors);
    checkStorage(form, ctx, errors, warnings);
    if (ctx.kvm && !ctx.kvm.usable) {
        const reason = cockpit.format(_("KVM is not usable on this host: $0"), ctx.kvm.reason);
        if (form.virtType === "kvm")
            errors.virt_type = reason;
        else
            warnings.virt_type = reason;
    }
    return { errors, warnings };
}

/** A VM name for `shortId` that no VM on the connection has: "debian12", then "debian12-2", "debian12-3"… */
export function suggestName(shortId: string, existing: ReadonlySet<string>): string {
    if (!existing.has(shortId))
        return shortId;
    for (let n = 2; ; n++) {
        const candidate = `${shortId}-${n}`;
        if (!existing.has(candidate))
            return candidate;
    }
}
