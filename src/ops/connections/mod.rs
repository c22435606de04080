//! op `connections`: the user's saved libvirt connections (other hosts, through libvirt's remote
//! driver). `list` answers the saved URIs with the state of the helper's connection to each; `test`
//! connects once and says whether that works (with a reason code when not); `add` tests, then saves;
//! `remove` forgets; `reconnect` asks the hub of a saved (watched) connection that waits to retry to try
//! now, and answers the outcome. A host may be given as a URI or as `[user@]host[:port]`, which means
//! `qemu+ssh://[user@]host[:port]/system`. The helper is the one authority on what is accepted.
//! A host that asks for a user name and password (SASL) answers `auth-needed`; `add`, `test` and
//! `reconnect` may then carry `credentials`, which `add` and `reconnect` hold in memory for that URI
//! (see `hub::logins`) and `remove` forgets.

pub mod host_key;
pub mod store;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value, json};
use virt::connect::Connect;
use virt_sys as sys;

use super::migrate::cause;
use super::{Context, OpBody, OpResult, parse_options};
use crate::hub::ConnState;
use crate::hub::auth_open::{self, OpenError};
use crate::model::credentials::{Credentials, Secret};
use crate::model::uri::Uri;
use crate::problem::{Problem, ProblemCode, Reason};
use crate::router::channel::ChannelIo;

/// How long a test connection may take (ssh's own connect timeout included).
const TEST_DEADLINE: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum Action {
    List,
    Test,
    Add,
    Remove,
    HostKey,
    Trust,
    Reconnect,
}

/// The key action `trust` adds: exactly the one action `host-key` answered and the page showed.
#[derive(Debug, Deserialize)]
struct OfferedKey {
    #[serde(rename = "type")]
    kind: String,
    key: String,
}

/// A user name and password as sent; checked by [`Credentials::parse`] after `ready`.
#[derive(Deserialize)]
struct GivenCredentials {
    username: String,
    password: Secret,
}

impl fmt::Debug for GivenCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("GivenCredentials(…)")
    }
}

impl GivenCredentials {
    fn parse(self) -> Result<Arc<Credentials>, Problem> {
        Credentials::parse(self.username, self.password)
            .map(Arc::new)
            .map_err(|err| Problem::new(ProblemCode::InvalidArgument, err.to_string()))
    }
}

#[derive(Debug, Deserialize)]
struct Options {
    #[allow(dead_code)]
    op: String,
    action: Action,
    /// A libvirt URI or `[user@]host[:port]` (`test`, `add`, `remove`).
    #[serde(default)]
    target: Option<String>,
    /// The host key to trust (`trust`).
    #[serde(default, rename = "host-key")]
    host_key: Option<OfferedKey>,
    /// A user name and password for a host that asks for them (`test`, `add`, `reconnect`).
    #[serde(default)]
    credentials: Option<GivenCredentials>,
}

/// A connection target as the user typed it: a URI through the allow-list, or `[user@]host[:port]`
/// for libvirt's ssh transport to the host's system libvirt.
pub fn parse_target(text: &str) -> Result<Uri, Problem> {
    let text = text.trim();
    let refused = |err: crate::model::uri::UriError| Problem::new(ProblemCode::InvalidArgument, err.to_string());
    if text.contains("://") {
        return Uri::parse(text).map_err(refused);
    }
    if text.is_empty() || text.contains(['/', '?', '&', '=']) {
        return Err(Problem::new(
            ProblemCode::InvalidArgument,
            "Give a libvirt URI (qemu+ssh://user@host/system) or user@host",
        ));
    }
    Uri::parse(&format!("qemu+ssh://{text}/system")).map_err(refused)
}

pub fn open(options: &Map<String, Value>, ctx: &Arc<Context>) -> Result<OpBody, Problem> {
    let options: Options = parse_options(options)?;
    let target = match (options.action, &options.target) {
        (Action::List, _) => None,
        (_, Some(text)) => Some(text.clone()),
        (_, None) => return Err(Problem::protocol("\"target\" is required for test, add, remove and reconnect")),
    };
    let offered = match (options.action, options.host_key) {
        (Action::Trust, Some(key)) => Some(key),
        (Action::Trust, None) => return Err(Problem::protocol("\"host-key\" is required for trust")),
        _ => None,
    };
    if options.credentials.is_some() && !matches!(options.action, Action::Test | Action::Add | Action::Reconnect) {
        return Err(Problem::protocol("\"credentials\" go only with test, add and reconnect"));
    }
    let request = Request { action: options.action, target, offered, credentials: options.credentials };
    let path = store::default_path()?;
    let ctx = ctx.clone();
    Ok(Box::new(move |io| Box::pin(run(io, ctx, request, path))))
}

struct Request {
    action: Action,
    target: Option<String>,
    offered: Option<OfferedKey>,
    credentials: Option<GivenCredentials>,
}

async fn run(io: ChannelIo, ctx: Arc<Context>, request: Request, path: PathBuf) -> OpResult {
    let Request { action, target, offered, credentials } = request;
    // The target is checked after `ready`, so a refusal is a close with invalid-argument the page shows
    // beside the field, not a protocol error.
    io.ready();
    let mut fields = Map::new();
    match action {
        Action::List => {
            let saved = blocking(move || store::load(&path)).await?;
            let list: Vec<Value> = saved.iter().map(|uri| describe(&ctx, uri)).collect();
            fields.insert("connections".into(), Value::Array(list));
        }
        Action::Test | Action::Add => {
            let uri = parse_target(target.as_deref().unwrap_or_default())?;
            let login = credentials.map(GivenCredentials::parse).transpose()?;
            let hostname = test_connection(uri.clone(), login.clone()).await?;
            fields.insert("uri".into(), uri.as_str().into());
            fields.insert("hostname".into(), hostname.into());
            if action == Action::Add {
                let saved = uri.clone();
                let added = blocking(move || store::add(&path, &saved)).await?;
                fields.insert("added".into(), added.into());
                // They worked: the host's hub logs in with them from now on (at once when it waits for them).
                if let Some(login) = login {
                    ctx.hubs.logins.hold(&uri, login)?;
                    if let Some(hub) = ctx.hubs.open_hub(&uri) {
                        hub.reconnect();
                    }
                }
            }
        }
        Action::Remove => {
            let uri = parse_target(target.as_deref().unwrap_or_default())?;
            ctx.hubs.logins.forget(&uri);
            let gone = uri.clone();
            let removed = blocking(move || store::remove(&path, &gone)).await?;
            fields.insert("uri".into(), uri.as_str().into());
            fields.insert("removed".into(), removed.into());
        }
        Action::HostKey => {
            let uri = ssh_target(target.as_deref().unwrap_or_default())?;
            let checked = uri.clone();
            let verdict = bounded(move || host_key::check(&checked)).await?;
            let (state, key) = match verdict {
                host_key::Verdict::Known => ("known", None),
                host_key::Verdict::Unknown(key) => ("unknown", Some(key)),
                host_key::Verdict::Changed(key) => ("changed", Some(key)),
            };
            let mut answer = json!({"state": state});
            if let Some(key) = key {
                answer["offered"] = key.to_json();
            }
            fields.insert("uri".into(), uri.as_str().into());
            fields.insert("host-key".into(), answer);
        }
        Action::Trust => {
            let uri = ssh_target(target.as_deref().unwrap_or_default())?;
            let offered = offered.expect("checked at open");
            let key = host_key::HostKey::parse(&offered.kind, &offered.key)?;
            fields.insert("fingerprint".into(), key.fingerprint().into());
            let trusted = uri.clone();
            let added = bounded(move || host_key::trust(&trusted, &key)).await?;
            fields.insert("uri".into(), uri.as_str().into());
            fields.insert("added".into(), added.into());
        }
        Action::Reconnect => {
            let uri = parse_target(target.as_deref().unwrap_or_default())?;
            if let Some(login) = credentials.map(GivenCredentials::parse).transpose()? {
                ctx.hubs.logins.hold(&uri, login)?;
            }
            reconnect(&ctx, &uri).await;
            if let Value::Object(status) = describe(&ctx, &uri) {
                fields.extend(status);
            }
        }
    }
    Ok(fields)
}

/// One saved connection with the state of the helper's connection to it (`idle` when no page watches it).
fn describe(ctx: &Context, uri: &Uri) -> Value {
    match ctx.hubs.status_of(uri) {
        Some(status) => {
            let mut value = json!({"uri": uri.as_str(), "state": status.state});
            if let Some(message) = status.message {
                value["message"] = message.into();
            }
            if let Some(reason) = status.reason {
                value["reason"] = reason.into();
            }
            value
        }
        None => json!({"uri": uri.as_str(), "state": "idle"}),
    }
}

/// Has the hub of `uri`, when it waits to retry, try now, and waits (at most [`TEST_DEADLINE`]) for the
/// outcome. Nothing happens while it is connected or when no hub is open (no page watches the URI).
async fn reconnect(ctx: &Context, uri: &Uri) {
    let Some(hub) = ctx.hubs.open_hub(uri) else { return };
    let mut status = hub.status_receiver();
    if status.borrow_and_update().state == ConnState::Connected {
        return;
    }
    hub.reconnect();
    // The hub shows the attempt (connecting or reconnecting, without a message), then its outcome.
    let outcome = async {
        while status.changed().await.is_ok() {
            let now = status.borrow_and_update().clone();
            let attempting =
                matches!(now.state, ConnState::Connecting | ConnState::Reconnecting) && now.message.is_none();
            if !attempting {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(TEST_DEADLINE, outcome).await;
}

/// File work off the router's thread.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, Problem> + Send + 'static) -> Result<T, Problem> {
    tokio::task::spawn_blocking(f).await.map_err(|err| Problem::internal(format!("worker failed: {err}")))?
}

/// A target for the host-key actions: only `qemu+ssh://` has ssh host keys.
fn ssh_target(text: &str) -> Result<Uri, Problem> {
    let uri = parse_target(text)?;
    if !uri.as_str().starts_with("qemu+ssh://") {
        return Err(Problem::new(ProblemCode::InvalidArgument, "Only qemu+ssh:// hosts have ssh host keys"));
    }
    Ok(uri)
}

/// Work that runs commands or connects, off the router's thread, within [`TEST_DEADLINE`].
async fn bounded<T: Send + 'static>(f: impl FnOnce() -> Result<T, Problem> + Send + 'static) -> Result<T, Problem> {
    match tokio::time::timeout(TEST_DEADLINE, tokio::task::spawn_blocking(f)).await {
        Ok(Ok(result)) => result,
        Ok(Err(err)) => Err(Problem::internal(format!("worker failed: {err}"))),
        Err(_) => Err(Problem::new(
            ProblemCode::Timeout,
            format!("No answer from the host within {} s", TEST_DEADLINE.as_secs()),
        )
        .with_reason(Reason::HostUnreachable)),
    }
}

/// Connects to `uri` once (its own connection, not a hub's) and answers the host's name. For a
/// remote URI the host's port is probed first, so an unknown host and a closed port have their own
/// reason codes rather than libvirt's (translated) message.
async fn test_connection(uri: Uri, login: Option<Arc<Credentials>>) -> Result<String, Problem> {
    bounded(move || {
        if let Some((host, port)) = uri.remote_endpoint() {
            cause::probe(&host, port)?;
        }
        // ssh's host key first, so an unknown or changed key has its own reason (libvirt's ssh transport runs
        // ssh in batch mode, which only says that verification failed).
        if uri.as_str().starts_with("qemu+ssh://") {
            match host_key::check(&uri)? {
                host_key::Verdict::Known => {}
                host_key::Verdict::Unknown(key) => return Err(host_key::unknown(&uri, &key)),
                host_key::Verdict::Changed(key) => return Err(host_key::changed_for(&uri, &key)),
            }
        }
        let conn = if uri.remote_endpoint().is_some() {
            auth_open::open(&uri, login.as_deref())
        } else {
            Connect::open(Some(&uri.for_open())).map_err(OpenError::from)
        }
        .map_err(connect_error)?;
        // Dropping `conn` closes it.
        conn.hostname().map_err(Problem::from)
    })
    .await
}

/// libvirt refused the connection: credentials needed (`auth-needed`), refused (`credentials-refused`) or
/// another login refused (`auth-failed`), or a transport that died after the port answered
/// (`host-unreachable`); libvirt's message is kept.
fn connect_error(failure: OpenError) -> Problem {
    let refused = failure.auth_reason();
    let mut problem = Problem::from(failure.error);
    if let Some(reason) = refused {
        problem.reason = Some(reason);
        // Asked for what nobody gave is not libvirt's own refusal: the page asks the user.
        if reason == Reason::AuthNeeded {
            problem.code = ProblemCode::AccessDenied;
        }
    } else if problem.libvirt_error == Some(sys::VIR_ERR_SYSTEM_ERROR as i32) {
        problem.reason = Some(Reason::HostUnreachable);
    }
    problem
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_target_user_at_host_means_ssh_to_system() {
        let uri = |t: &str| parse_target(t).map(|u| u.as_str().to_string());
        assert_eq!(uri("root@host.example").unwrap(), "qemu+ssh://root@host.example/system");
        assert_eq!(uri(" host.example:2222 ").unwrap(), "qemu+ssh://host.example:2222/system");
        assert_eq!(uri("qemu+tcp://127.0.0.2/system").unwrap(), "qemu+tcp://127.0.0.2/system");
        for bad in ["", "root@", "-oProxyCommand=x", "a b", "host/session", "host?socket=/x", "qemu+ext:///system"] {
            let err = parse_target(bad).unwrap_err();
            assert_eq!(err.code, ProblemCode::InvalidArgument, "{bad}: {}", err.message);
        }
    }
}
