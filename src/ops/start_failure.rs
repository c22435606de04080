//! A VM that failed to start (ops `create` and `action`): libvirt passes on QEMU's stderr (timestamps, the command-line option
//! QEMU was parsing, often several lines). The page shows one sentence, QEMU's own last error, with
//! libvirt's whole text as the detail behind a toggle.

use crate::problem::Problem;

/// The problem for a failed `virDomainCreate` / `virDomainCreateXML`.
pub fn start_failed(err: virt::error::Error) -> Problem {
    let problem = Problem::from(err);
    match qemu_gist(&problem.message) {
        Some(gist) => {
            let detail = problem.message.clone();
            Problem { message: format!("QEMU could not start the VM: {gist}"), ..problem }.with_detail(detail)
        }
        None => problem,
    }
}

/// QEMU's last error in libvirt's message (`… qemu-system-x86_64: -blockdev {…}: CURL: Couldn't
/// connect to server` → `CURL: Couldn't connect to server`); `None` without one.
fn qemu_gist(message: &str) -> Option<String> {
    // The last "qemu-system-<arch>: " (not a path such as /usr/bin/qemu-system-x86_64).
    let after_program = message
        .rmatch_indices("qemu-system-")
        .filter_map(|(at, prefix)| {
            let rest = &message[at + prefix.len()..];
            let arch_len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))?;
            rest[arch_len..].strip_prefix(": ")
        })
        .next()?;
    let line = after_program.lines().next().unwrap_or_default();
    // The option QEMU was parsing: `-blockdev {json}: ` or `-drive file=…,if=none: `.
    let error = match line.strip_prefix('-') {
        Some(option) => match option.rfind("}: ") {
            Some(end) if option.contains('{') => &option[end + 3..],
            _ => option.split_once(": ").map_or(line, |(_, error)| error),
        },
        None => line,
    };
    let error = error.trim();
    (!error.is_empty()).then(|| error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_failure_gist_is_qemus_last_error() {
        let curl = "internal error: QEMU unexpectedly closed the monitor (vm='cop-x'): \
                    2026-12-06T23:00:00.123456Z qemu-system-x86_64: -blockdev {\"driver\":\"http\",\"url\":\"http://127.0.0.1:1/x.iso\",\"node-name\":\"libvirt-1-storage\"}: CURL: Couldn't connect to server";
        assert_eq!(qemu_gist(curl).as_deref(), Some("CURL: Couldn't connect to server"));
        let drive = "internal error: process exited while connecting to monitor: 2026-12-06T23:00:00Z \
                     qemu-system-aarch64: -drive file=/x.img,if=none: Could not open '/x.img': Permission denied\nmore";
        assert_eq!(qemu_gist(drive).as_deref(), Some("Could not open '/x.img': Permission denied"));
        let plain = "internal error: qemu unexpectedly closed the monitor: qemu-system-x86_64: cannot set up guest memory 'pc.ram': Cannot allocate memory";
        assert_eq!(qemu_gist(plain).as_deref(), Some("cannot set up guest memory 'pc.ram': Cannot allocate memory"));
    }

    #[test]
    fn start_failure_without_qemu_output_is_left_alone() {
        assert_eq!(qemu_gist("Cannot find '/usr/bin/qemu-system-x86_64' binary"), None);
        assert_eq!(qemu_gist("Requested operation is not valid: network 'cop-net' is not active"), None);
        assert_eq!(qemu_gist("qemu-system-x86_64: "), None);
    }
}
