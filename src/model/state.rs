//! libvirt's numeric domain states and reasons (`virDomainState`, `virDomain*Reason`) as the
//! lower-case names of `docs/api.md`.

pub fn state_name(state: i32) -> &'static str {
    match state {
        1 => "running",
        2 => "blocked",
        3 => "paused",
        4 => "shutdown",
        5 => "shutoff",
        6 => "crashed",
        7 => "pmsuspended",
        _ => "nostate",
    }
}

pub fn reason_name(state: i32, reason: i32) -> &'static str {
    let names: &[&'static str] = match state {
        // VIR_DOMAIN_RUNNING_*
        1 => &[
            "unknown",
            "booted",
            "migrated",
            "restored",
            "from-snapshot",
            "unpaused",
            "migration-canceled",
            "save-canceled",
            "wakeup",
            "crashed",
            "postcopy",
            "postcopy-failed",
        ],
        // VIR_DOMAIN_BLOCKED_*
        2 => &["unknown"],
        // VIR_DOMAIN_PAUSED_*
        3 => &[
            "unknown",
            "user",
            "migration",
            "save",
            "dump",
            "ioerror",
            "watchdog",
            "from-snapshot",
            "shutting-down",
            "snapshot",
            "crashed",
            "starting-up",
            "postcopy",
            "postcopy-failed",
            "api-error",
        ],
        // VIR_DOMAIN_SHUTDOWN_*
        4 => &["unknown", "user"],
        // VIR_DOMAIN_SHUTOFF_*
        5 => &["unknown", "shutdown", "destroyed", "crashed", "migrated", "saved", "failed", "from-snapshot", "daemon"],
        // VIR_DOMAIN_CRASHED_*
        6 => &["unknown", "panicked"],
        // VIR_DOMAIN_PMSUSPENDED_*
        7 => &["unknown"],
        _ => &["unknown"],
    };
    usize::try_from(reason).ok().and_then(|i| names.get(i).copied()).unwrap_or("unknown")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_names_and_reasons() {
        assert_eq!(state_name(1), "running");
        assert_eq!(state_name(5), "shutoff");
        assert_eq!(state_name(42), "nostate");
        assert_eq!(reason_name(3, 1), "user");
        assert_eq!(reason_name(5, 2), "destroyed");
        assert_eq!(reason_name(1, 99), "unknown");
        assert_eq!(reason_name(1, -1), "unknown");
    }
}
