//! op `osinfo`: the OS list of the create dialog, or the OS an install medium or tree is (`docs/api.md`).
//! One message, then a clean close. File, database and network work runs on tokio's blocking pool.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{Context, OpBody, OpResult, parse_options};
use crate::http::{self, HttpError, UrlUse, WebUrl};
use crate::media::iso9660::{self, VolumeDescriptor};
use crate::media::local::{self, LocalError, LocalPath};
use crate::osinfo::{self, Db, Os, detect};
use crate::problem::{Problem, ProblemCode};
use crate::router::channel::ChannelIo;

/// Everything a URL probe may take, connection and redirects included.
const HTTP_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest `.treeinfo` we read (real ones are a few KiB).
const MAX_TREEINFO: usize = 256 * 1024;

#[derive(Deserialize)]
struct OsinfoOptions {
    detect: Option<DetectOptions>,
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum DetectOptions {
    Media(PathBuf),
    Url(String),
}

pub fn open(options: &Map<String, Value>, _ctx: &Arc<Context>) -> Result<OpBody, Problem> {
    let options: OsinfoOptions = parse_options(options)?;
    if let Some(DetectOptions::Media(path)) = &options.detect
        && let Err(err) = LocalPath::parse(&path.to_string_lossy())
    {
        return Err(Problem::protocol(format!("field \"detect.media\": {}", err.describe(""))));
    }
    Ok(Box::new(move |io| Box::pin(run(io, options.detect))))
}

async fn run(mut io: ChannelIo, detect: Option<DetectOptions>) -> OpResult {
    io.ready();
    let message = tokio::task::spawn_blocking(move || match detect {
        None => Ok(list()),
        Some(DetectOptions::Media(path)) => detect_file(&path),
        Some(DetectOptions::Url(url)) => detect_url(&url),
    })
    .await
    .map_err(|err| Problem::internal(format!("osinfo worker failed: {err}")))??;
    io.writable().await;
    io.send_data(message);
    Ok(Map::new())
}

/// `{"oses":[…]}`, serialized once per helper: the list never changes while it runs.
fn list() -> Vec<u8> {
    static LIST: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    LIST.get_or_init(|| list_message(osinfo::db())).clone()
}

/// Serialized straight from the db (no `Value` tree of 800 objects in between).
#[derive(Serialize)]
struct ListMessage<'a> {
    oses: &'a [Os],
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'static str>,
}

fn list_message(db: &Db) -> Vec<u8> {
    let message = ListMessage { oses: &db.oses, message: db.dir.is_none().then_some("osinfo-db is not installed") };
    let mut bytes = serde_json::to_vec(&message).expect("the OS list serializes");
    bytes.push(b'\n');
    bytes
}

/// Only a regular file or a block device (a CD drive) is opened, never a FIFO or character device.
fn detect_file(path: &Path) -> Result<Vec<u8>, Problem> {
    let shown = path.to_string_lossy();
    let opened = local::open_str(&shown).map_err(|err| local_problem(&shown, &err))?;
    let pvd = iso9660::read(opened.file).map_err(|err| file_problem(path, &err))?;
    Ok(media_answer(pvd.as_ref()))
}

fn local_problem(path: &str, err: &LocalError) -> Problem {
    let code = match err.io_kind() {
        Some(io::ErrorKind::NotFound) => ProblemCode::NotFound,
        Some(io::ErrorKind::PermissionDenied) => ProblemCode::AccessDenied,
        Some(_) => ProblemCode::InternalError,
        None => ProblemCode::InvalidArgument,
    };
    Problem::new(code, err.describe(path))
}

fn detect_url(url: &str) -> Result<Vec<u8>, Problem> {
    // A URL the create dialog would refuse is refused here too, with the same message.
    let parsed =
        WebUrl::parse(url, UrlUse::Media).map_err(|err| Problem::new(ProblemCode::InvalidArgument, err.to_string()))?;
    // Only http and https are probed; ftp and nfs are accepted as sources but not recognised.
    if !matches!(parsed.scheme(), "http" | "https") {
        return Ok(answer(None, None, None));
    }
    if parsed.is_iso() {
        let bytes = match http::get_range(&parsed, iso9660::PVD_OFFSET, iso9660::DESCRIPTORS_LEN, HTTP_TIMEOUT) {
            Ok(Ok(bytes)) => bytes,
            Ok(Err(status)) => return Err(status_problem(&parsed, status)),
            Err(err) => return Err(http_problem(&parsed, err)),
        };
        return Ok(media_answer(iso9660::parse(&bytes).ok().as_ref()));
    }
    // An install tree: `.treeinfo` (or `treeinfo`, as libosinfo also tries) at its root.
    let base = parsed.as_dir();
    for name in [".treeinfo", "treeinfo"] {
        let file = base.join(name, UrlUse::Fetch).map_err(|err| Problem::internal(err.to_string()))?;
        match http::get(&file, None, HTTP_TIMEOUT) {
            Ok(response) if response.status == 200 => {
                let text = response.first_bytes(MAX_TREEINFO).map_err(|err| http_problem(&file, err))?;
                let info = detect::parse_treeinfo(&String::from_utf8_lossy(&text));
                return Ok(answer(detect::identify_tree(osinfo::db(), &info), None, None));
            }
            // Not there: try the other name; a tree without either is simply not recognised.
            Ok(response) if matches!(response.status, 404 | 410) => continue,
            Ok(response) => return Err(status_problem(&file, response.status)),
            Err(err) => return Err(http_problem(&parsed, err)),
        }
    }
    Ok(answer(None, None, None))
}

fn media_answer(pvd: Option<&VolumeDescriptor>) -> Vec<u8> {
    match pvd {
        Some(pvd) => answer(detect::identify_media(osinfo::db(), pvd), pvd.volume_id.as_deref(), Some(pvd.bootable)),
        None => answer(None, None, None),
    }
}

/// `{"detected":{"short_id","name"}|null,"volume_id":…|null,"bootable":bool|null}`.
fn answer(os: Option<&Os>, volume_id: Option<&str>, bootable: Option<bool>) -> Vec<u8> {
    let detected = os.map(|os| json!({ "short_id": os.short_id, "name": os.name }));
    let value = json!({ "detected": detected, "volume_id": volume_id, "bootable": bootable });
    let mut bytes = serde_json::to_vec(&value).expect("serializes");
    bytes.push(b'\n');
    bytes
}

fn file_problem(path: &Path, err: &io::Error) -> Problem {
    let code = match err.kind() {
        io::ErrorKind::NotFound => ProblemCode::NotFound,
        io::ErrorKind::PermissionDenied => ProblemCode::AccessDenied,
        _ => ProblemCode::InternalError,
    };
    Problem::new(code, format!("Cannot read {}: {err}", path.display()))
}

fn status_problem(url: &WebUrl, status: u16) -> Problem {
    let code = match status {
        404 | 410 => ProblemCode::NotFound,
        401 | 403 => ProblemCode::AccessDenied,
        _ => ProblemCode::InternalError,
    };
    Problem::new(code, format!("{url}: the server answered HTTP {status}"))
}

fn http_problem(url: &WebUrl, err: HttpError) -> Problem {
    let code = match err {
        HttpError::Timeout(..) => ProblemCode::Timeout,
        HttpError::Connect(..) => ProblemCode::NotFound,
        HttpError::Certificate(..) | HttpError::Redirect(..) => ProblemCode::AccessDenied,
        _ => ProblemCode::InternalError,
    };
    Problem::new(code, format!("{url}: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn open_problem(v: Value) -> Problem {
        let ctx = Arc::new(Context { hubs: crate::hub::Hubs::new(crate::hub::PollConfig::from_env()) });
        match open(&options(v), &ctx) {
            Ok(_) => panic!("open accepted"),
            Err(problem) => problem,
        }
    }

    #[test]
    fn osinfo_open_checks_detect() {
        let problem = open_problem(json!({"op": "osinfo", "detect": {"media": "relative.iso"}}));
        assert_eq!(problem.code, ProblemCode::ProtocolError);
        assert!(problem.message.contains("absolute"), "{}", problem.message);
        let problem = open_problem(json!({"op": "osinfo", "detect": {"floppy": "/x"}}));
        assert_eq!(problem.code, ProblemCode::ProtocolError);
        assert!(problem.message.contains("detect"), "{}", problem.message);
        let problem = open_problem(json!({"op": "osinfo", "detect": "/x.iso"}));
        assert_eq!(problem.code, ProblemCode::ProtocolError);
    }

    #[test]
    fn osinfo_detect_file_answers_and_errors() {
        let dir = std::env::temp_dir().join(format!("cvirt-osinfo-op-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let iso = dir.join("debian.iso");
        std::fs::write(&iso, iso9660::tests::tiny_iso("Debian 11.7.0 amd64 n", "LINUX", "", "")).unwrap();
        let answer: Value = serde_json::from_slice(&detect_file(&iso).unwrap()).unwrap();
        assert_eq!(
            answer,
            json!({
                "detected": {"short_id": "debian11", "name": "Debian 11"},
                "volume_id": "Debian 11.7.0 amd64 n",
                "bootable": true,
            })
        );
        let text = dir.join("notes.txt");
        std::fs::write(&text, "not an iso").unwrap();
        let answer: Value = serde_json::from_slice(&detect_file(&text).unwrap()).unwrap();
        assert_eq!(answer, json!({"detected": null, "volume_id": null, "bootable": null}));
        let problem = detect_file(&dir.join("missing.iso")).unwrap_err();
        assert_eq!(problem.code, ProblemCode::NotFound);
        assert!(problem.message.contains("missing.iso"), "{}", problem.message);
        // Never opened: a character device (the watchdog's kind), a directory.
        for (path, kind) in [("/dev/zero", "a character device"), ("/tmp", "a directory")] {
            let problem = detect_file(Path::new(path)).unwrap_err();
            assert_eq!(problem.code, ProblemCode::InvalidArgument);
            assert_eq!(problem.message, format!("{path} is {kind}, not a file"));
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn osinfo_list_without_a_db_says_so() {
        let answer: Value = serde_json::from_slice(&list_message(&Db { dir: None, oses: Vec::new() })).unwrap();
        assert_eq!(answer, json!({"oses": [], "message": "osinfo-db is not installed"}));
    }

    #[test]
    fn osinfo_detect_url_other_schemes_are_not_probed() {
        for url in ["ftp://example.org/x.iso", "nfs://h/p"] {
            let answer: Value = serde_json::from_slice(&detect_url(url).unwrap()).unwrap();
            assert_eq!(answer, json!({"detected": null, "volume_id": null, "bootable": null}), "{url}");
        }
        let problem = detect_url("http://127.0.0.1:6379/\r\nSET x 1").unwrap_err();
        assert_eq!(problem.code, ProblemCode::InvalidArgument);
        assert!(problem.message.contains("control characters"), "{}", problem.message);
    }
}
