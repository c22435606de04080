//! Which OS is this install medium or tree? Matches an ISO's volume descriptor against the `<media><iso>`
//! patterns and a `.treeinfo` against the `<tree><treeinfo>` patterns, the way libosinfo does
//! (`osinfo_media_matches`, `osinfo_tree_matches`, `osinfo_db_identify_media`).
//!
//! libosinfo's rules, kept here:
//! - every pattern is a regular expression (GLib's `g_regex_match_simple`, i.e. PCRE, case-sensitive) that
//!   may match anywhere in the value unless it anchors itself with `^`/`$`; an absent pattern matches
//!   anything, a present one never matches an absent value; a `<volume-size>` must be equal. The regex
//!   crate lacks PCRE's look-around, so the rare pattern using it never matches;
//! - media or trees of arch `all`, and media of OSes whose release status is `rolling`, are fallbacks,
//!   tried only when no other entry matched.
//!
//! libosinfo returns the first match in hash-table order, which is arbitrary when several OSes share a
//! pattern (Windows 10 and 11 have the same volume ids, so do Server 2016, 2019 and 2022). We pick the
//! newest release among the matches: for Windows 11 media that is the only choice that boots its
//! installer (UEFI, Secure Boot, TPM), and those settings install Windows 10 just as well.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use log::debug;
use regex::Regex;
use regex_syntax::hir::literal::Extractor;

use super::db::{Db, Os};
use crate::media::iso9660::VolumeDescriptor;

/// A regular expression from the database, compiled on first use (most are never needed). Shared by
/// every entry that spells it the same way ([`Interner`]). Compiling is what costs (some 100 µs each,
/// and a detection tries a thousand): a pattern without metacharacters (two thirds of them) is a
/// substring test, and the others are compiled only once the value holds one of the literals every
/// match must start with.
#[derive(Debug, Clone)]
pub struct Pattern(Arc<PatternInner>);

#[derive(Debug)]
struct PatternInner {
    source: String,
    literal: bool,
    /// `None`: no usable prefix set (unbounded, or it can start with anything).
    prefixes: OnceLock<Option<Vec<Vec<u8>>>>,
    compiled: OnceLock<Option<Regex>>,
}

impl Pattern {
    /// `None` for an empty pattern, which libosinfo treats as absent.
    pub fn new(source: &str) -> Option<Pattern> {
        let literal = !source.contains(['.', '^', '$', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|', '\\']);
        (!source.is_empty()).then(|| {
            Pattern(Arc::new(PatternInner {
                source: source.to_string(),
                literal,
                prefixes: OnceLock::new(),
                compiled: OnceLock::new(),
            }))
        })
    }

    #[cfg(test)]
    pub fn source(&self) -> &str {
        &self.0.source
    }

    fn is_match(&self, value: &str) -> bool {
        let inner = &*self.0;
        if inner.literal {
            return value.contains(&inner.source);
        }
        let prefixes = inner.prefixes.get_or_init(|| required_prefixes(&inner.source));
        if let Some(prefixes) = prefixes
            && !prefixes.iter().any(|p| value.as_bytes().windows(p.len()).any(|w| w == p.as_slice()))
        {
            return false;
        }
        let compiled = inner.compiled.get_or_init(|| {
            Regex::new(&inner.source)
                .inspect_err(|err| debug!("osinfo pattern {:?} does not compile: {err}", inner.source))
                .ok()
        });
        compiled.as_ref().is_some_and(|re| re.is_match(value))
    }
}

/// The literals one of which starts every match of `pattern` (regex-syntax's prefix extraction, the
/// same the regex crate builds its prefilters from), or `None` when there is no such finite set.
fn required_prefixes(pattern: &str) -> Option<Vec<Vec<u8>>> {
    let hir = regex_syntax::parse(pattern).ok()?;
    let seq = Extractor::new().extract(&hir);
    let literals = seq.literals()?;
    if literals.is_empty() || literals.iter().any(|l| l.as_bytes().is_empty()) {
        return None;
    }
    Some(literals.iter().map(|l| l.as_bytes().to_vec()).collect())
}

/// Hands out one [`Pattern`] per distinct source while the database is read.
#[derive(Default)]
pub struct Interner(HashMap<String, Pattern>);

impl Interner {
    pub fn pattern(&mut self, source: &str) -> Option<Pattern> {
        if let Some(pattern) = self.0.get(source) {
            return Some(pattern.clone());
        }
        let pattern = Pattern::new(source)?;
        self.0.insert(source.to_string(), pattern.clone());
        Some(pattern)
    }
}

/// An absent pattern matches anything; a present one needs a value it matches.
fn matches(pattern: &Option<Pattern>, value: Option<&str>) -> bool {
    match (pattern, value) {
        (None, _) => true,
        (Some(pattern), Some(value)) => pattern.is_match(value),
        (Some(_), None) => false,
    }
}

/// One `<media>` entry's identification patterns.
#[derive(Debug, Default, Clone)]
pub struct MediaPattern {
    pub arch: String,
    pub volume_id: Option<Pattern>,
    pub system_id: Option<Pattern>,
    pub publisher_id: Option<Pattern>,
    pub application_id: Option<Pattern>,
    pub volume_size: Option<u64>,
}

impl MediaPattern {
    fn matches(&self, media: &VolumeDescriptor) -> bool {
        let has_pattern = self.volume_id.is_some()
            || self.system_id.is_some()
            || self.publisher_id.is_some()
            || self.application_id.is_some()
            || self.volume_size.is_some_and(|size| size > 0);
        has_pattern
            && matches(&self.volume_id, media.volume_id.as_deref())
            && matches(&self.application_id, media.application_id.as_deref())
            && matches(&self.system_id, media.system_id.as_deref())
            && matches(&self.publisher_id, media.publisher_id.as_deref())
            && self.volume_size.filter(|&size| size > 0).is_none_or(|size| size == media.volume_size)
    }
}

/// One `<tree>` entry's identification patterns (its `<treeinfo>`).
#[derive(Debug, Default, Clone)]
pub struct TreePattern {
    pub arch: String,
    pub has_treeinfo: bool,
    pub family: Option<Pattern>,
    pub variant: Option<Pattern>,
    pub version: Option<Pattern>,
    pub tree_arch: Option<Pattern>,
}

/// The `[general]` section of a tree's `.treeinfo`, which is what libosinfo reads.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TreeInfo {
    pub family: Option<String>,
    pub variant: Option<String>,
    pub version: Option<String>,
    pub arch: Option<String>,
}

impl TreePattern {
    fn matches(&self, tree: &TreeInfo) -> bool {
        // A tree without `arch` is taken for i386, as libosinfo does.
        let arch = tree.arch.as_deref().unwrap_or("i386");
        self.has_treeinfo
            && (self.arch == arch || self.arch == "all")
            && matches(&self.family, tree.family.as_deref())
            && matches(&self.variant, tree.variant.as_deref())
            && matches(&self.version, tree.version.as_deref())
            && matches(&self.tree_arch, tree.arch.as_deref())
    }
}

/// Parses a `.treeinfo` (a GKeyFile: `[group]`, `key = value`, `#` comments); only `[general]` is kept.
pub fn parse_treeinfo(text: &str) -> TreeInfo {
    let mut info = TreeInfo::default();
    let mut in_general = false;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(group) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            in_general = group == "general";
            continue;
        }
        let Some((key, value)) = line.split_once('=') else { continue };
        if !in_general {
            continue;
        }
        let value = value.trim();
        let slot = match key.trim() {
            "family" => &mut info.family,
            "variant" => &mut info.variant,
            "version" => &mut info.version,
            "arch" => &mut info.arch,
            _ => continue,
        };
        *slot = (!value.is_empty()).then(|| value.to_string());
    }
    info
}

/// The OS an ISO's primary volume descriptor identifies, if any. Media of a rolling release are
/// fallbacks too (libosinfo's `compare_media`). Like libosinfo's `osinfo_media_create_from_location`,
/// only bootable media are install media: DVD 2 of a set has DVD 1's volume id pattern, and cannot boot.
pub fn identify_media<'a>(db: &'a Db, media: &VolumeDescriptor) -> Option<&'a Os> {
    if !media.bootable {
        return None;
    }
    let rolling = |os: &Os| os.release_status.as_deref() == Some("rolling");
    let preferred = db
        .oses
        .iter()
        .filter(|os| !rolling(os) && os.media_patterns.iter().any(|m| m.arch != "all" && m.matches(media)));
    newest(preferred).or_else(|| {
        let is_fallback = |os: &Os| rolling(os) || os.media_patterns.iter().any(|m| m.arch == "all");
        newest(db.oses.iter().filter(|os| is_fallback(os) && os.media_patterns.iter().any(|m| m.matches(media))))
    })
}

/// The OS a tree's `.treeinfo` identifies, if any.
pub fn identify_tree<'a>(db: &'a Db, tree: &TreeInfo) -> Option<&'a Os> {
    let preferred = db.oses.iter().filter(|os| os.tree_patterns.iter().any(|t| t.arch != "all" && t.matches(tree)));
    newest(preferred).or_else(|| {
        let is_fallback = |os: &Os| os.tree_patterns.iter().any(|t| t.arch == "all");
        newest(db.oses.iter().filter(|os| is_fallback(os) && os.tree_patterns.iter().any(|t| t.matches(tree))))
    })
}

/// By release date; an OS without one (an "unknown" or prerelease entry) loses to a dated release.
/// Ties keep the first in the database's order, so the answer is stable.
fn newest<'a>(oses: impl Iterator<Item = &'a Os>) -> Option<&'a Os> {
    oses.fold(None, |best: Option<&Os>, os| match best {
        Some(best) if os.release_date <= best.release_date => Some(best),
        _ => Some(os),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::osinfo::db::tests::system_db;

    fn media(volume_id: &str) -> VolumeDescriptor {
        VolumeDescriptor { volume_id: Some(volume_id.into()), bootable: true, ..VolumeDescriptor::default() }
    }

    fn windows(volume_id: &str) -> VolumeDescriptor {
        VolumeDescriptor { publisher_id: Some("MICROSOFT CORPORATION".into()), ..media(volume_id) }
    }

    fn detected(found: Option<&Os>) -> Option<&str> {
        found.map(|os| os.short_id.as_str())
    }

    #[test]
    fn detect_pattern_rules() {
        let p = |s: &str| Pattern::new(s);
        // Unanchored unless the pattern anchors itself, case-sensitive, PCRE escapes.
        assert!(matches(&p(r"Debian 11.\d+.\d+ amd64 n"), Some("Debian 11.7.0 amd64 n")));
        assert!(matches(&p("dvd-x86_64-37"), Some("Fedora-S-dvd-x86_64-37")));
        assert!(!matches(&p("^dvd-x86_64-37"), Some("Fedora-S-dvd-x86_64-37")));
        assert!(!matches(&p("fedora"), Some("Fedora-S-dvd-x86_64-37")));
        assert!(matches(&p(r"Ubuntu 22.04(.\d\+?)?(.\d\+?)? LTS amd64"), Some("Ubuntu 22.04.3 LTS amd64")));
        // Absent pattern: anything; present pattern, absent value: no; empty pattern is absent.
        assert!(matches(&None, None));
        assert!(!matches(&p("LINUX"), None));
        assert!(Pattern::new("").is_none());
        // A pattern the regex engine refuses never matches (and does not panic).
        assert!(!matches(&p("(unclosed"), Some("(unclosed")));
    }

    #[test]
    fn detect_interner_shares_one_pattern_per_source() {
        let mut interner = Interner::default();
        let a = interner.pattern(r"Fedora-.*-Live-3[8-9]").unwrap();
        let b = interner.pattern(r"Fedora-.*-Live-3[8-9]").unwrap();
        assert!(Arc::ptr_eq(&a.0, &b.0));
        assert!(a.is_match("Fedora-WS-Live-39-1-5") && b.0.compiled.get().is_some());
        assert!(interner.pattern("").is_none());
        // Literal patterns are substring tests, never compiled.
        let literal = interner.pattern("MICROSOFT CORPORATION").unwrap();
        assert!(literal.is_match("MICROSOFT CORPORATION ") && !literal.is_match("Microsoft Corporation"));
        assert!(literal.0.compiled.get().is_none());
        // A value without any of a pattern's required prefixes is refused before compiling.
        let debian = interner.pattern(r"Debian 11.\d+.\d+ amd64 n").unwrap();
        assert!(!debian.is_match("Fedora-S-dvd-x86_64-37") && debian.0.compiled.get().is_none());
        assert!(debian.is_match("Debian 11.7.0 amd64 n") && debian.0.compiled.get().is_some());
        let windows = interner.pattern(r"^(J_)?(CCSN?A|C?CCOMA)_X64FREE?_").unwrap();
        let prefixes = required_prefixes(r"^(J_)?(CCSN?A|C?CCOMA)_X64FREE?_").unwrap();
        assert!(prefixes.contains(&b"CCCOMA_X64FRE_".to_vec()) && prefixes.len() == 16, "{prefixes:?}");
        assert!(windows.is_match("J_CCSA_X64FRE_EN-US_DV5") && windows.is_match("CCCOMA_X64FRE_EN-US_DV9"));
        assert!(!windows.is_match("XCCCOMA_X64FRE_EN-US_DV9"));
        // Unbounded starts get no prefix set and are simply compiled.
        assert_eq!(required_prefixes(r".*-Live-3[8-9]"), None);
        assert_eq!(required_prefixes(r"(a|b)c"), Some(vec![b"ac".to_vec(), b"bc".to_vec()]));
    }

    #[test]
    fn detect_media_needs_some_pattern_and_equal_size() {
        let empty = MediaPattern { arch: "x86_64".into(), ..MediaPattern::default() };
        assert!(!empty.matches(&media("anything")));
        let sized =
            MediaPattern { volume_id: Pattern::new("CDROM"), volume_size: Some(4096), ..MediaPattern::default() };
        assert!(!sized.matches(&VolumeDescriptor { volume_size: 2048, ..media("CDROM") }));
        assert!(sized.matches(&VolumeDescriptor { volume_size: 4096, ..media("CDROM") }));
    }

    #[test]
    fn detect_real_volume_ids_against_the_installed_db() {
        let db = system_db();
        // Where a newer osinfo-db (Debian 13's) knows a newer release, the first id present is expected;
        // with Debian 12's osinfo-db 0.20221130 it is the last (or nothing).
        let known = |ids: &[&'static str]| ids.iter().copied().find(|id| db.by_short_id(id).is_some());
        let cases: &[(VolumeDescriptor, Option<&str>)] = &[
            (media("Debian 11.7.0 amd64 n"), Some("debian11")),
            (media("Debian 11.7.0 amd64 1"), Some("debian11")),
            (media("Debian 10.13.0 amd64 n"), Some("debian10")),
            (media("Debian testing amd64 n"), Some("debiantesting")),
            // 0.20221130 predates Debian 12: nothing claims its media.
            (media("Debian 12.0.0 amd64 n"), known(&["debian12"])),
            (media("Fedora-S-dvd-x86_64-37"), Some("fedora37")),
            (media("Fedora-WS-Live-37-1-7"), Some("fedora37")),
            // Newer than 0.20221130: its "unknown" entry claims Fedora 38 and later.
            (media("Fedora-WS-Live-39-1-5"), known(&["fedora39", "fedora-unknown"])),
            (media("Fedora-S-dvd-x86_64-39"), known(&["fedora39", "fedora-unknown"])),
            (media("Ubuntu 22.04.3 LTS amd64"), Some("ubuntu22.04")),
            (media("Ubuntu-Server 22.04.3 LTS amd64"), Some("ubuntu22.04")),
            (media("Ubuntu 20.04.6 LTS amd64"), Some("ubuntu20.04")),
            // Windows 10 and 11 share their volume ids; so do Server 2016, 2019 and 2022 (and 2025).
            (windows("CCCOMA_X64FRE_EN-US_DV9"), Some("win11")),
            (windows("SSS_X64FREE_EN-US_DV9"), known(&["win2k25", "win2k22"])),
            // The Windows patterns also want Microsoft as publisher.
            (media("CCCOMA_X64FRE_EN-US_DV9"), None),
            (media("cidata"), None),
            (VolumeDescriptor { bootable: false, ..media("Debian 11.7.0 amd64 2") }, None),
        ];
        for (medium, want) in cases {
            let got = detected(identify_media(db, medium));
            assert_eq!(got, *want, "volume id {:?}", medium.volume_id);
        }
    }

    #[test]
    fn detect_treeinfo_against_the_installed_db() {
        let db = system_db();
        let fedora = "[header]\nversion = 1.2\n\n[release]\nname = Fedora\nshort = Fedora\nversion = 37\n\n\
                      [general]\n# a comment\nfamily = Fedora\n\
                      version = 37\narch = x86_64\nvariant = Server\nname = Fedora 37\n\n\
                      [images-x86_64]\nkernel = images/pxeboot/vmlinuz\ninitrd = images/pxeboot/initrd.img\n";
        let info = parse_treeinfo(fedora);
        assert_eq!(
            info,
            TreeInfo {
                family: Some("Fedora".into()),
                variant: Some("Server".into()),
                version: Some("37".into()),
                arch: Some("x86_64".into()),
            }
        );
        assert_eq!(detected(identify_tree(db, &info)), Some("fedora37"));

        let centos = "[general]\nfamily = CentOS Stream\nversion = 9\narch = x86_64\nvariant = BaseOS\n";
        assert_eq!(detected(identify_tree(db, &parse_treeinfo(centos))), Some("centos-stream9"));

        // Wrong arch, unknown family: nothing.
        let arm = "[general]\nfamily = Fedora\nversion = 37\narch = riscv64\nvariant = Server\n";
        assert_eq!(detected(identify_tree(db, &parse_treeinfo(arm))), None);
        assert_eq!(detected(identify_tree(db, &parse_treeinfo("[general]\nfamily = Nothing\n"))), None);
    }

    /// The regex crate has no look-around; PCRE has. A pattern that needs it never matches here: in
    /// osinfo-db 0.20221130 that is one pattern of one entry; anything else failing is our bug.
    #[test]
    fn detect_patterns_of_the_installed_db_compile() {
        let db = system_db();
        let mut failed = Vec::new();
        for os in &db.oses {
            let media =
                os.media_patterns.iter().flat_map(|m| [&m.volume_id, &m.system_id, &m.publisher_id, &m.application_id]);
            let trees = os.tree_patterns.iter().flat_map(|t| [&t.family, &t.variant, &t.version, &t.tree_arch]);
            for pattern in media.chain(trees).flatten() {
                if Regex::new(pattern.source()).is_err() {
                    failed.push(format!("{}: {}", os.short_id, pattern.source()));
                }
            }
        }
        // Debian 12's osinfo-db: one, "asianux-unknown: Asianux Server (7 (?!SP[123])|(4 ?!SP[67])).+".
        assert!(failed.len() <= 3, "patterns the regex crate refuses: {failed:#?}");
        assert!(failed.iter().all(|p| p.contains("(?!") || p.contains("(?=") || p.contains("(?<")), "{failed:#?}");
    }
}
