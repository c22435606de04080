// Quoting for the shell commands the page shows for copying into a terminal.

const PLAIN = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * `word` as exactly one POSIX sh word, whatever it contains: as is when it has only characters no shell treats
 * specially, else in single quotes (inside which sh expands nothing), each `'` written as `'\''`.
 */
export function shellQuote(word: string): string {
    if (PLAIN.test(word))
        return word;
    return "'" + word.split("'").join("'\\''") + "'";
}
