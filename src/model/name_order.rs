//! The order the page lists VMs in by default, near enough: by name, ignoring case, runs of digits by their value
//! ("vm-2" before "vm-10"). A snapshot is sent in this order so the first message holds the first screenful.

use std::cmp::Ordering;

pub fn compare_names(a: &str, b: &str) -> Ordering {
    // On string slices, without allocating: a snapshot sorts thousands of names before its first message.
    let (mut a, mut b) = (a, b);
    loop {
        match (a.chars().next(), b.chars().next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let (x, rest_a) = digit_run(a);
                let (y, rest_b) = digit_run(b);
                let (x, y) = (x.trim_start_matches('0'), y.trim_start_matches('0'));
                let order = x.len().cmp(&y.len()).then_with(|| x.cmp(y));
                if order != Ordering::Equal {
                    return order;
                }
                (a, b) = (rest_a, rest_b);
            }
            (Some(x), Some(y)) => {
                let order = x.to_lowercase().cmp(y.to_lowercase());
                if order != Ordering::Equal {
                    return order;
                }
                (a, b) = (&a[x.len_utf8()..], &b[y.len_utf8()..]);
            }
        }
    }
}

/// The run of ASCII digits `s` starts with, and what follows it.
fn digit_run(s: &str) -> (&str, &str) {
    s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(names: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        v.sort_by(|a, b| compare_names(a, b));
        v
    }

    #[test]
    fn digits_by_value_and_case_ignored() {
        assert_eq!(
            sorted(&["vm-10", "vm-2", "VM-1", "alpha", "Beta", "vm-02b", "vm-2a"]),
            ["alpha", "Beta", "VM-1", "vm-2", "vm-2a", "vm-02b", "vm-10"]
        );
    }

    #[test]
    fn long_digit_runs_do_not_overflow() {
        assert_eq!(compare_names("x99999999999999999999999", "x100000000000000000000000"), Ordering::Less);
        assert_eq!(compare_names("a", "a"), Ordering::Equal);
        assert_eq!(compare_names("a", "ab"), Ordering::Less);
        // multi-byte characters: compared ignoring case, then the digits after them
        assert_eq!(compare_names("Ärger-10", "ärger-2"), Ordering::Greater);
        assert_eq!(compare_names("日本-2", "日本-10"), Ordering::Less);
    }
}
