//! The order the page lists VMs in by default, near enough: by name, ignoring case, runs of digits by their value
//! ("vm-2" before "vm-10"). A snapshot is sent in this order so the first message holds the first screenful.

use std::cmp::Ordering;

pub fn compare_names(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.chars().peekable(), b.chars().peekable());
    loop {
        match (a.peek().copied(), b.peek().copied()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let order = compare_digit_runs(&mut a, &mut b);
                if order != Ordering::Equal {
                    return order;
                }
            }
            (Some(x), Some(y)) => {
                let order = x.to_lowercase().cmp(y.to_lowercase());
                if order != Ordering::Equal {
                    return order;
                }
                a.next();
                b.next();
            }
        }
    }
}

/// Compares two runs of ASCII digits by value (leading zeros aside), consuming both.
fn compare_digit_runs(
    a: &mut std::iter::Peekable<std::str::Chars>,
    b: &mut std::iter::Peekable<std::str::Chars>,
) -> Ordering {
    let take = |it: &mut std::iter::Peekable<std::str::Chars>| {
        let mut digits = String::new();
        while let Some(c) = it.next_if(char::is_ascii_digit) {
            digits.push(c);
        }
        digits
    };
    let (x, y) = (take(a), take(b));
    let (x, y) = (x.trim_start_matches('0'), y.trim_start_matches('0'));
    x.len().cmp(&y.len()).then_with(|| x.cmp(y))
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
    }
}
