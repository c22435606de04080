//! The host key of a `qemu+ssh://` host, checked against the user's `known_hosts` before libvirt's ssh
//! transport connects (libvirt runs the user's `ssh` in batch mode, which refuses an unknown key with a message
//! that does not say which key). So the helper asks the user's own ssh what it would do: `ssh -G` for the
//! effective host name, port and `known_hosts` files (the user's ssh config applies), `ssh-keyscan` for the keys
//! the host offers, `ssh-keygen -F` for what `known_hosts` says about that host. A key is only ever added by
//! [`trust`], with exactly the key the page was shown, and never over a different key already there.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::model::uri::Uri;
use crate::problem::{Problem, ProblemCode, Reason};

/// `ssh -G` and `ssh-keygen -F` answer at once; `ssh-keyscan` waits at most this for the host.
const SCAN_TIMEOUT_SECS: u64 = 5;
/// Every command is killed after this, whatever it waits for.
const COMMAND_DEADLINE: Duration = Duration::from_secs(SCAN_TIMEOUT_SECS + 3);
/// More than any command here prints for one host.
const MAX_OUTPUT_BYTES: u64 = 256 * 1024;
/// The largest host key blob accepted (an RSA 16384-bit key is about 2 KiB).
const MAX_KEY_BYTES: usize = 4096;

/// Host key algorithms ssh may verify a host by, most preferred first (as ssh's own default order).
const KEY_TYPES: &[&str] =
    &["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa"];

/// One host public key: an algorithm from [`KEY_TYPES`] and a blob that names the same algorithm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostKey {
    kind: &'static str,
    blob: Vec<u8>,
}

impl HostKey {
    /// `kind` and the base64 `key` as `known_hosts` and `ssh-keyscan` write them.
    pub fn parse(kind: &str, key: &str) -> Result<HostKey, Problem> {
        let refused = |why: &str| Problem::new(ProblemCode::InvalidArgument, format!("Not a host key: {why}"));
        let kind = KEY_TYPES.iter().find(|k| **k == kind).ok_or_else(|| refused("unknown key type"))?;
        if key.len() > MAX_KEY_BYTES * 4 / 3 + 4 {
            return Err(refused("too long"));
        }
        let blob = STANDARD.decode(key).map_err(|_| refused("not base64"))?;
        // The blob starts with the algorithm's name as an SSH string (32-bit big-endian length, bytes).
        let named = blob
            .get(..4)
            .map(|len| u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize)
            .and_then(|len| blob.get(4..4 + len));
        if named != Some(kind.as_bytes()) || blob.len() <= 4 + kind.len() {
            return Err(refused("the key does not match its type"));
        }
        Ok(HostKey { kind, blob })
    }

    /// As `ssh-keygen -l` prints it: `SHA256:` and the unpadded base64 of the blob's SHA-256.
    pub fn fingerprint(&self) -> String {
        format!("SHA256:{}", STANDARD_NO_PAD.encode(Sha256::digest(&self.blob)))
    }

    pub fn key(&self) -> String {
        STANDARD.encode(&self.blob)
    }

    pub fn to_json(&self) -> Value {
        json!({"type": self.kind, "key": self.key(), "fingerprint": self.fingerprint()})
    }
}

/// What the user's `known_hosts` says about the key a host offers.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A key the host offers is trusted.
    Known,
    /// Nothing is known of this host: the key it offers (the most preferred one) awaits the user's word.
    Unknown(HostKey),
    /// `known_hosts` holds other keys for this host, or revoked the one offered: someone may be in between.
    Changed(HostKey),
}

/// Where the user's ssh connects for `uri`, and the files it checks host keys in.
#[derive(Debug, PartialEq, Eq)]
struct Target {
    /// The name keys are recorded under: `host`, `[host]:port`, or the config's `HostKeyAlias`.
    recorded_as: String,
    host: String,
    port: u16,
    /// The user's files first (a trusted key goes to the first), then the system's.
    user_files: Vec<PathBuf>,
    global_files: Vec<PathBuf>,
}

/// Reads `known_hosts` for the host of the `qemu+ssh://` `uri` and scans the keys it offers.
pub fn check(uri: &Uri) -> Result<Verdict, Problem> {
    let target = resolve(uri)?;
    let offered = scan(&target)?;
    let recorded = recorded_keys(&target)?;
    Ok(judge(offered, &recorded))
}

/// The verdict from the keys offered (most preferred first) and the `known_hosts` entries for the host.
fn judge(offered: Vec<HostKey>, recorded: &[(Marker, HostKey)]) -> Verdict {
    let revoked = |k: &HostKey| recorded.iter().any(|(m, r)| *m == Marker::Revoked && r == k);
    let trusted = |k: &HostKey| recorded.iter().any(|(m, r)| *m == Marker::None && r == k);
    if let Some(bad) = offered.iter().find(|k| revoked(k)) {
        return Verdict::Changed(bad.clone());
    }
    if offered.iter().any(trusted) {
        return Verdict::Known;
    }
    let first = offered.into_iter().next().expect("scan answers at least one key");
    if recorded.iter().any(|(m, _)| *m == Marker::None) { Verdict::Changed(first) } else { Verdict::Unknown(first) }
}

/// Adds `key` for the host of `uri` to the user's first `known_hosts` file. Nothing changes when it is there
/// already; a host with another key recorded is refused (`host-key-changed`): that is for the user to sort out
/// with their own tools, not for a page to overwrite.
pub fn trust(uri: &Uri, key: &HostKey) -> Result<bool, Problem> {
    let target = resolve(uri)?;
    let recorded = recorded_keys(&target)?;
    match judge(vec![key.clone()], &recorded) {
        Verdict::Known => return Ok(false),
        Verdict::Changed(_) => return Err(changed(&target.recorded_as, key)),
        Verdict::Unknown(_) => {}
    }
    let file = target.user_files.first().ok_or_else(|| Problem::internal("ssh names no user known_hosts file"))?;
    let fail = |err: std::io::Error| Problem::internal(format!("cannot add the host key to {}: {err}", file.display()));
    if let Some(dir) = file.parent() {
        fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).map_err(fail)?;
    }
    let mut out = fs::OpenOptions::new().append(true).create(true).mode(0o600).open(file).map_err(fail)?;
    // A file that does not end with a newline would glue our line to its last one.
    let ends_open = fs::read(file).map(|text| text.last().is_some_and(|c| *c != b'\n')).unwrap_or(false);
    let line = format!("{}{} {} {}\n", if ends_open { "\n" } else { "" }, target.recorded_as, key.kind, key.key());
    out.write_all(line.as_bytes()).and_then(|_| out.sync_all()).map_err(fail)?;
    Ok(true)
}

pub fn unknown(uri: &Uri, key: &HostKey) -> Problem {
    Problem::new(
        ProblemCode::AccessDenied,
        format!("The host key of {} is not known ({} {}): trust it first", host_of(uri), key.kind, key.fingerprint()),
    )
    .with_reason(Reason::HostKeyUnknown)
}

fn changed(host: &str, key: &HostKey) -> Problem {
    Problem::new(
        ProblemCode::AccessDenied,
        format!(
            "The host key of {host} is not the one in known_hosts (it offers {} {}): it changed, or someone is in \
             between",
            key.kind,
            key.fingerprint()
        ),
    )
    .with_reason(Reason::HostKeyChanged)
}

pub fn changed_for(uri: &Uri, key: &HostKey) -> Problem {
    changed(&host_of(uri), key)
}

fn host_of(uri: &Uri) -> String {
    uri.remote_endpoint().map_or_else(|| uri.to_string(), |(host, _)| host)
}

/// `ssh -G`: the user's ssh configuration applied to the URI's user, host and port.
fn resolve(uri: &Uri) -> Result<Target, Problem> {
    let (host, port) = uri.remote_endpoint().ok_or_else(|| Problem::internal("not a remote URI"))?;
    let mut ssh = Command::new("ssh");
    ssh.arg("-G");
    // As libvirt runs ssh: a port only when the URI names one, so the user's config may name another.
    if has_port(uri) {
        ssh.arg("-p").arg(port.to_string());
    }
    if let Some(user) = ssh_user(uri) {
        ssh.arg("-l").arg(user);
    }
    // The allow-list refused host names starting with '-'; `--` says so to ssh as well.
    ssh.arg("--").arg(&host);
    let text = run(ssh, "ssh -G")?;
    parse_config(&text).ok_or_else(|| Problem::internal(format!("ssh -G {host}: no host name or port in its answer")))
}

/// `[user@]host[:port]` of a remote URI.
fn authority(uri: &Uri) -> &str {
    let rest = uri.as_str().split_once("://").map_or("", |(_, rest)| rest);
    &rest[..rest.find('/').unwrap_or(rest.len())]
}

fn ssh_user(uri: &Uri) -> Option<String> {
    authority(uri).rsplit_once('@').map(|(user, _)| user.to_string())
}

fn has_port(uri: &Uri) -> bool {
    let authority = authority(uri);
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    match host_port.strip_prefix('[') {
        Some(v6) => v6.contains("]:"),
        None => host_port.contains(':'),
    }
}

fn parse_config(text: &str) -> Option<Target> {
    let (mut host, mut port, mut alias) = (None, None, None);
    let (mut user_files, mut global_files) = (Vec::new(), Vec::new());
    let files = |value: &str| value.split_whitespace().filter(|f| *f != "none").map(PathBuf::from).collect::<Vec<_>>();
    for line in text.lines() {
        let Some((key, value)) = line.split_once(' ') else { continue };
        match key {
            "hostname" => host = Some(value.to_string()),
            "port" => port = value.parse::<u16>().ok(),
            "hostkeyalias" => alias = Some(value.to_string()),
            "userknownhostsfile" => user_files = files(value),
            "globalknownhostsfile" => global_files = files(value),
            _ => {}
        }
    }
    let (host, port) = (host?, port?);
    let recorded_as = alias.unwrap_or_else(|| if port == 22 { host.clone() } else { format!("[{host}]:{port}") });
    Some(Target { recorded_as, host, port, user_files, global_files })
}

/// `ssh-keyscan`: the keys the host offers, most preferred first.
fn scan(target: &Target) -> Result<Vec<HostKey>, Problem> {
    let mut keyscan = Command::new("ssh-keyscan");
    keyscan
        .args(["-T", &SCAN_TIMEOUT_SECS.to_string(), "-p", &target.port.to_string(), "-t"])
        .arg("ed25519,ecdsa,rsa")
        .arg("--")
        .arg(&target.host);
    let text = run(keyscan, "ssh-keyscan")?;
    let mut keys: Vec<HostKey> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let mut fields = l.split_whitespace().skip(1);
            HostKey::parse(fields.next()?, fields.next()?).ok()
        })
        .collect();
    keys.sort_by_key(|k| KEY_TYPES.iter().position(|t| *t == k.kind));
    keys.dedup();
    if keys.is_empty() {
        return Err(Problem::new(
            ProblemCode::InternalError,
            format!("{} port {} offered no ssh host key", target.host, target.port),
        )
        .with_reason(Reason::HostUnreachable));
    }
    Ok(keys)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    None,
    Revoked,
    /// `@cert-authority`: a CA that signs host certificates, not a host key.
    Authority,
}

/// `ssh-keygen -F` in every `known_hosts` file ssh reads (hashed names included).
fn recorded_keys(target: &Target) -> Result<Vec<(Marker, HostKey)>, Problem> {
    let mut keys = Vec::new();
    for file in target.user_files.iter().chain(&target.global_files).filter(|f| f.is_file()) {
        let mut keygen = Command::new("ssh-keygen");
        keygen.arg("-F").arg(&target.recorded_as).arg("-f").arg(file);
        // ssh-keygen -F exits 1 when the host is not in the file: an empty answer.
        let text = run_allowing(keygen, "ssh-keygen -F", &[0, 1])?;
        keys.extend(parse_entries(&text));
    }
    Ok(keys)
}

fn parse_entries(text: &str) -> Vec<(Marker, HostKey)> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|line| {
            let mut fields = line.split_whitespace().peekable();
            let marker = match fields.peek().copied() {
                Some("@revoked") => Marker::Revoked,
                Some("@cert-authority") => Marker::Authority,
                _ => Marker::None,
            };
            if marker != Marker::None {
                fields.next();
            }
            let _patterns = fields.next()?;
            Some((marker, HostKey::parse(fields.next()?, fields.next()?).ok()?))
        })
        .collect()
}

fn run(command: Command, what: &str) -> Result<String, Problem> {
    run_allowing(command, what, &[0])
}

/// Runs `command` with no input, at most [`COMMAND_DEADLINE`], and answers its output (bounded) when it exits
/// with one of `ok`.
fn run_allowing(mut command: Command, what: &str, ok: &[i32]) -> Result<String, Problem> {
    let fail = |why: String| Problem::internal(format!("{what}: {why}"));
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| fail(err.to_string()))?;
    let (out, err) = (drain(child.stdout.take()), drain(child.stderr.take()));
    let started = Instant::now();
    let status = loop {
        match child.try_wait().map_err(|err| fail(err.to_string()))? {
            Some(status) => break status,
            None if started.elapsed() >= COMMAND_DEADLINE => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Problem::new(
                    ProblemCode::Timeout,
                    format!("{what} did not finish within {} s", COMMAND_DEADLINE.as_secs()),
                )
                .with_reason(Reason::HostUnreachable));
            }
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    };
    let out = out.join().unwrap_or_default();
    let err = err.join().unwrap_or_default();
    if status.code().is_some_and(|c| ok.contains(&c)) {
        Ok(out)
    } else {
        Err(fail(format!("{status}: {}", err.trim())))
    }
}

/// Reads a child's pipe to its end (at most [`MAX_OUTPUT_BYTES`]) on a thread of its own, so a full pipe never
/// stalls the child.
fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(pipe) = pipe {
            let _ = pipe.take(MAX_OUTPUT_BYTES).read_to_string(&mut text);
        }
        text
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED25519: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIAx0o9kz4l4VoEhQIPRdo7CjiFJvy5mKe1ZLH5lPviQo";
    const ED25519_OTHER: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIJwEfjUG7xjCLF/jPusxqs39O2TI8aSX890WK91bjJ03";

    #[test]
    fn host_key_parses_only_keys_that_name_their_type() {
        let key = HostKey::parse("ssh-ed25519", ED25519).unwrap();
        assert_eq!(key.key(), ED25519);
        // As `ssh-keygen -lf` prints it for this key.
        assert_eq!(key.fingerprint(), "SHA256:pHPSTWVQz6Jfys46OcRi+OJWgpsZjP2KFP6Wt+kwbAg");
        for (kind, text) in [
            ("ssh-rsa", ED25519),
            ("ssh-dss", ED25519),
            ("ssh-ed25519", "not base64!"),
            ("ssh-ed25519", "AAAAC3NzaC1lZDI1NTE5"),
            ("ssh-ed25519", ""),
        ] {
            assert!(HostKey::parse(kind, text).is_err(), "{kind} {text}");
        }
        assert!(HostKey::parse("ssh-ed25519", &"A".repeat(10_000)).is_err());
    }

    #[test]
    fn host_key_asks_ssh_for_the_port_only_when_the_uri_names_one() {
        let uri = |text: &str| Uri::parse(text).unwrap();
        assert!(has_port(&uri("qemu+ssh://root@h:2222/system")));
        assert!(has_port(&uri("qemu+ssh://[fe80::1]:2222/system")));
        assert!(!has_port(&uri("qemu+ssh://root@h/system?keyfile=/k")));
        assert!(!has_port(&uri("qemu+ssh://[fe80::1]/system")));
        assert_eq!(ssh_user(&uri("qemu+ssh://root@h/system")).as_deref(), Some("root"));
        assert_eq!(ssh_user(&uri("qemu+ssh://h/system")), None);
    }

    #[test]
    fn host_key_judges_unknown_known_changed_and_revoked() {
        let key = HostKey::parse("ssh-ed25519", ED25519).unwrap();
        let other = HostKey::parse("ssh-ed25519", ED25519_OTHER).unwrap();
        assert_eq!(judge(vec![key.clone()], &[]), Verdict::Unknown(key.clone()));
        assert_eq!(judge(vec![key.clone()], &[(Marker::Authority, other.clone())]), Verdict::Unknown(key.clone()));
        assert_eq!(judge(vec![key.clone()], &[(Marker::None, key.clone())]), Verdict::Known);
        assert_eq!(judge(vec![key.clone()], &[(Marker::None, other.clone())]), Verdict::Changed(key.clone()));
        let revoked = [(Marker::None, key.clone()), (Marker::Revoked, key.clone())];
        assert_eq!(judge(vec![key.clone()], &revoked), Verdict::Changed(key));
    }

    #[test]
    fn host_key_reads_ssh_config_and_known_hosts_answers() {
        let config = "user root\nhostname 127.0.0.5\nport 2222\nuserknownhostsfile /h/.ssh/known_hosts \
                      /h/.ssh/known_hosts2\nglobalknownhostsfile /etc/ssh/ssh_known_hosts\n";
        let target = parse_config(config).unwrap();
        assert_eq!(target.recorded_as, "[127.0.0.5]:2222");
        assert_eq!(target.user_files, [PathBuf::from("/h/.ssh/known_hosts"), PathBuf::from("/h/.ssh/known_hosts2")]);
        let target = parse_config("hostname h\nport 22\nhostkeyalias a\nuserknownhostsfile none\n").unwrap();
        assert_eq!((target.recorded_as.as_str(), target.user_files.len()), ("a", 0));
        assert_eq!(parse_config("hostname h\n"), None);
        let found = format!(
            "# Host h found: line 1\nh ssh-ed25519 {ED25519}\n@revoked * ssh-ed25519 {ED25519_OTHER}\nh ssh-rsa junk\n"
        );
        let entries = parse_entries(&found);
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[1].0, Marker::Revoked);
    }
}
