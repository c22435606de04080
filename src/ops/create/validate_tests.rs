//! Every validation rule that needs no libvirt, one table row or test each.

use serde_json::{Value, json};

use super::*;
use crate::ops::create::os::OsHints;

fn host() -> HostOptions {
    crate::ops::create::host::test_host()
}

fn facts() -> Facts {
    Facts {
        host: host(),
        name_taken: false,
        os: OsLookup::Generic,
        existing_volumes: vec![],
        volume_users: vec![],
        tree: None,
        url_problem: None,
    }
}

/// A tiny bootable ISO in a world-readable place, written once per test run. One fixed name, so runs do not leave
/// a file each; written beside it and renamed, so a run at the same time never reads half of it.
fn iso_path() -> &'static str {
    static PATH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PATH.get_or_init(|| {
        let dir = std::env::temp_dir();
        let path = dir.join("cvirt-validate-tiny.iso");
        let partial = dir.join(format!("cvirt-validate-tiny.iso.{}", std::process::id()));
        std::fs::write(&partial, crate::media::iso9660::tests::tiny_iso("CVTEST", "LINUX", "", "")).unwrap();
        // Another user's file of that name in a sticky /tmp cannot be replaced: this run keeps its own then.
        let kept = if std::fs::rename(&partial, &path).is_ok() { path } else { partial };
        kept.to_string_lossy().into_owned()
    })
}

/// A valid spec: a tiny ISO, new 1 GiB volume, network nat.
fn spec_json() -> Value {
    json!({
        "name": "cop-vm", "os": null,
        "source": {"kind": "iso", "path": iso_path()},
        "memory_mib": 512, "vcpus": 1,
        "storage": {"kind": "new", "pool": "images", "size_gib": 1},
        "network": {"kind": "network", "name": "nat"},
        "virt_type": "qemu", "firmware": "auto", "run": false
    })
}

fn check(value: Value, facts: &Facts) -> Findings {
    let spec: Spec = serde_json::from_value(value).unwrap();
    validate(&spec, facts)
}

fn with(patch: Value) -> Value {
    let mut value = spec_json();
    for (key, v) in patch.as_object().unwrap() {
        value[key] = v.clone();
    }
    value
}

/// Asserts `field` has an error containing `text` and names no other field with an error.
fn assert_error(findings: &Findings, field: &str, text: &str) {
    let message = findings.errors.get(field).unwrap_or_else(|| panic!("no error on {field}: {findings:?}"));
    assert!(message.contains(text), "{field}: {message:?} lacks {text:?}");
    assert_eq!(findings.errors.len(), 1, "{findings:?}");
}

#[test]
fn validate_accepts_a_good_spec() {
    let findings = check(spec_json(), &facts());
    assert!(findings.ok(), "{findings:?}");
    assert!(findings.warnings.is_empty(), "{findings:?}");
}

#[test]
fn validate_name_rules() {
    for (name, text) in [("", "Enter a name"), ("  ", "Enter a name"), ("a/b", "\"/\""), ("a\tb", "control")] {
        assert_error(&check(with(json!({"name": name})), &facts()), "name", text);
    }
    let long = "x".repeat(201);
    assert_error(&check(with(json!({"name": long})), &facts()), "name", "too long");
    let taken = Facts { name_taken: true, ..facts() };
    assert_error(&check(spec_json(), &taken), "name", "already exists");
    // Spaces, quotes, unicode and markup are fine.
    assert!(check(with(json!({"name": "my \"VM\" <&> ü"})), &facts()).ok());
}

#[test]
fn validate_unknown_os() {
    let unknown = Facts { os: OsLookup::Unknown("nosuchos1".into()), ..facts() };
    assert_error(&check(with(json!({"os": "nosuchos1"})), &unknown), "os", "nosuchos1");
}

#[test]
fn validate_source_paths() {
    let iso = |path: &str| with(json!({"source": {"kind": "iso", "path": path}}));
    assert_error(&check(iso(""), &facts()), "source", "Choose a file");
    assert_error(&check(iso("images/x.iso"), &facts()), "source", "absolute path");
    assert_error(&check(iso("/nonexistent/cop.iso"), &facts()), "source", "does not exist");
    assert_error(&check(iso("/etc"), &facts()), "source", "not a file");
    // /root is 0700 on Debian: the classic Permission denied.
    let blocked = std::env::temp_dir().join(format!("cop-validate-{}", std::process::id()));
    std::fs::create_dir_all(&blocked).unwrap();
    std::fs::write(blocked.join("x.iso"), b"iso").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&blocked, std::fs::Permissions::from_mode(0o700)).unwrap();
    let findings = check(iso(blocked.join("x.iso").to_str().unwrap()), &facts());
    assert_error(&findings, "source", &format!("cannot enter {}", blocked.display()));
    // A copied file is read by the helper, not QEMU: the closed directory does not matter then.
    let copy = with(json!({"source": {"kind": "import", "path": blocked.join("x.iso"), "copy_to_pool": "images"}}));
    assert!(check(copy, &facts()).ok());
    let in_place = with(json!({"source": {"kind": "import", "path": blocked.join("x.iso")}}));
    assert_error(&check(in_place, &facts()), "source", "cannot enter");
    // On a remote connection local files say nothing: only the syntax is checked.
    let mut remote = facts();
    remote.host.remote = true;
    assert!(check(iso("/nonexistent/cop.iso"), &remote).ok());
    std::fs::remove_dir_all(&blocked).unwrap();
}

#[test]
fn validate_urls() {
    let url = |u: &str| with(json!({"source": {"kind": "url", "url": u}}));
    for good in ["http://h/x.iso", "https://h:8443/a/b.ISO", "ftp://h/x.iso", "nfs://h/export/x.iso"] {
        assert!(check(url(good), &facts()).ok(), "{good}");
    }
    for (bad, text) in [
        ("file:///x.iso", "file:// is not supported"),
        ("gopher://h/x.iso", "not supported"),
        ("h/x.iso", "starting with http"),
        ("http://", "no host"),
        ("http://127.0.0.1:6379/\r\nSET x 1\r\n", "spaces or control characters"),
        ("http://h/a b.iso", "spaces or control characters"),
        ("http://h/x.iso\0", "spaces or control characters"),
        ("http://user:secret@h/x.iso", "user name or password"),
    ] {
        assert_error(&check(url(bad), &facts()), "source", text);
    }
    // What reading an ISO image by URL said (unreachable, not an ISO) is the answer on `source`.
    let unreachable = Facts { url_problem: Some("cannot connect".into()), ..facts() };
    assert_error(&check(url("http://127.0.0.1:1/x.iso"), &unreachable), "source", "cannot connect");
    // An install tree: what reading its .treeinfo said is the answer on `source`.
    let tree = url("http://h/tree/");
    let web = |u: &str| crate::http::WebUrl::parse(u, crate::http::UrlUse::Fetch).unwrap();
    let read = crate::ops::create::tree::Tree {
        url: web("http://h/tree/"),
        kernel: web("http://h/tree/k"),
        initrd: web("http://h/tree/i"),
    };
    assert!(check(tree.clone(), &Facts { tree: Some(Ok(read)), ..facts() }).ok());
    let unreadable = Facts { tree: Some(Err("no .treeinfo".into())), ..facts() };
    assert_error(&check(tree.clone(), &unreadable), "source", "no .treeinfo");
    // Its kernel and initrd volumes (in the storage pool) must not exist yet.
    let spec: Spec = serde_json::from_value(tree.clone()).unwrap();
    let pair = |v: &str| ("images".to_string(), v.to_string());
    assert_eq!(volumes_to_check(&spec)[1..], [pair("cop-vm-kernel"), pair("cop-vm-initrd")]);
    let taken = Facts { existing_volumes: vec![pair("cop-vm-kernel")], ..facts() };
    assert_error(&check(tree, &taken), "name", "cop-vm-kernel");
}

#[test]
fn validate_pxe() {
    let pxe = |v: Value| with(json!({"source": v}));
    assert!(check(pxe(json!({"kind": "pxe", "network": "nat"})), &facts()).ok());
    assert!(check(pxe(json!({"kind": "pxe", "bridge": "br0"})), &facts()).ok());
    assert_error(&check(pxe(json!({"kind": "pxe", "network": "nope"})), &facts()), "source", "no virtual network");
    assert_error(&check(pxe(json!({"kind": "pxe", "bridge": "br9"})), &facts()), "source", "no bridge");
    assert_error(&check(pxe(json!({"kind": "pxe"})), &facts()), "source", "either a network or a bridge");
    let sleepy = check(pxe(json!({"kind": "pxe", "network": "sleepy"})), &facts());
    assert!(sleepy.ok() && sleepy.warnings["source"].contains("not active"), "{sleepy:?}");
}

fn cloud(user: Value, root_password: Value) -> Value {
    with(json!({
        "source": {"kind": "cloud", "image": "/etc/hostname", "user": user, "root_password": root_password, "hostname": "web-1"},
        "storage": {"kind": "new", "pool": "images", "size_gib": 2}
    }))
}

#[test]
fn validate_cloud_users() {
    let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG5vdGFyZWFsa2V5 me@host";
    assert!(check(cloud(json!({"login": "u", "password": "Correct-Horse-9"}), json!(null)), &facts()).ok());
    assert!(check(cloud(json!({"login": "u", "ssh_keys": [key]}), json!(null)), &facts()).ok());
    assert!(check(cloud(json!(null), json!(null)), &facts()).ok());
    let no_secret = check(cloud(json!({"login": "u"}), json!(null)), &facts());
    assert_error(&no_secret, "source.user.password", "password or an SSH key");
    let no_login = check(cloud(json!({"login": "", "password": "Correct-Horse-9"}), json!(null)), &facts());
    assert_error(&no_login, "source.user.login", "login for this password");
    let keys_no_login = check(cloud(json!({"login": " ", "ssh_keys": [key]}), json!(null)), &facts());
    assert_error(&keys_no_login, "source.user.login", "login for these SSH keys");
    let bad_key = check(cloud(json!({"login": "u", "ssh_keys": ["hello world"]}), json!(null)), &facts());
    assert_error(&bad_key, "source.user.ssh_keys", "not an SSH public key");
}

#[test]
fn validate_weak_passwords_warn() {
    let findings = check(cloud(json!({"login": "u", "password": "abc"}), json!("alllowercase")), &facts());
    assert!(findings.ok(), "{findings:?}");
    assert!(findings.warnings["source.user.password"].contains("shorter than 8"));
    assert!(findings.warnings["source.root_password"].contains("mix"));
    assert_eq!(weak_password("12345678").as_deref(), Some("Weak password: mix letters, digits and symbols"));
    assert_eq!(weak_password("Tr0ub4dor&3"), None);
}

#[test]
fn validate_cloud_hostname() {
    let mut value = cloud(json!(null), json!(null));
    value["source"]["hostname"] = json!("bad_host!");
    assert_error(&check(value, &facts()), "source.hostname", "host name");
}

#[test]
fn validate_memory_and_vcpus() {
    assert_error(&check(with(json!({"memory_mib": 0})), &facts()), "memory_mib", "more than 0");
    assert_error(&check(with(json!({"memory_mib": 4097})), &facts()), "memory_mib", "only 4096 MiB");
    assert_error(&check(with(json!({"vcpus": 0})), &facts()), "vcpus", "At least 1");
    assert_error(&check(with(json!({"vcpus": 3})), &facts()), "vcpus", "only 2 CPUs");
    let hints = OsHints { minimum_memory_mib: Some(1024), name: "Big OS".into(), ..OsHints::generic() };
    let known = Facts { os: OsLookup::Known(hints), ..facts() };
    let findings = check(spec_json(), &known);
    assert!(findings.ok() && findings.warnings["memory_mib"].contains("Big OS needs at least 1024 MiB"));
}

#[test]
fn validate_storage() {
    let new = |pool: &str, size: f64| with(json!({"storage": {"kind": "new", "pool": pool, "size_gib": size}}));
    assert_error(&check(new("images", 0.0), &facts()), "storage.size_gib", "more than 0");
    assert_error(&check(new("images", -1.0), &facts()), "storage.size_gib", "more than 0");
    assert_error(&check(new("images", 6.0), &facts()), "storage.size_gib", "only 5.0 GiB available");
    assert_error(&check(new("images", 1e300), &facts()), "storage.size_gib", "too large");
    assert_error(&check(new("nope", 1.0), &facts()), "storage.pool", "no storage pool \"nope\"");
    assert_error(&check(new("off", 1.0), &facts()), "storage.pool", "not active");
    // The default pool may be missing: create makes it.
    assert!(check(new("default", 1.0), &facts()).ok());
    let taken = Facts { existing_volumes: vec![("images".into(), "cop-vm.qcow2".into())], ..facts() };
    assert_error(&check(new("images", 1.0), &taken), "name", "already has a volume \"cop-vm.qcow2\"");
    let volume = with(json!({"storage": {"kind": "volume", "pool": "images", "volume": "disk.qcow2"}}));
    assert_error(&check(volume.clone(), &facts()), "storage", "has no volume \"disk.qcow2\"");
    let there = Facts { existing_volumes: vec![("images".into(), "disk.qcow2".into())], ..facts() };
    assert!(check(volume.clone(), &there).ok());
    let shared = Facts { volume_users: vec!["web".into()], ..there };
    let findings = check(volume, &shared);
    assert!(findings.ok() && findings.warnings["storage"].contains("already used by \"web\""), "{findings:?}");
    assert!(check(with(json!({"storage": {"kind": "none"}})), &facts()).ok());
    // An existing volume cannot be in a default pool that does not exist yet.
    let missing = with(json!({"storage": {"kind": "volume", "pool": "default", "volume": "disk.qcow2"}}));
    assert_error(&check(missing, &facts()), "storage.pool", "no storage pool \"default\"");
    // Storage is ignored for an imported disk, whatever it says.
    let import = with(
        json!({"source": {"kind": "import", "path": "/etc/hostname"}, "storage": {"kind": "new", "pool": "x", "size_gib": 0}}),
    );
    assert!(check(import, &facts()).ok());
    let copy = with(json!({"source": {"kind": "import", "path": "/etc/hostname", "copy_to_pool": "nope"}}));
    assert_error(&check(copy, &facts()), "source", "no storage pool");
}

#[test]
fn validate_networks() {
    let net = |v: Value| with(json!({"network": v}));
    assert_error(&check(net(json!({"kind": "network", "name": "nope"})), &facts()), "network", "no virtual network");
    let sleepy = check(net(json!({"kind": "network", "name": "sleepy"})), &facts());
    assert!(sleepy.ok() && sleepy.warnings["network"].contains("not active"));
    assert!(check(net(json!({"kind": "bridge", "name": "br0"})), &facts()).ok());
    assert_error(&check(net(json!({"kind": "bridge", "name": "eth0"})), &facts()), "network", "no bridge");
    assert!(check(net(json!({"kind": "direct", "dev": "eth0"})), &facts()).ok());
    assert_error(
        &check(net(json!({"kind": "direct", "dev": "cop-nodev"})), &facts()),
        "network",
        "no network interface",
    );
    assert!(check(net(json!({"kind": "user"})), &facts()).ok());
    for dev in ["../eth0", "..", "a/b", "eth0:1", "x y", "", "sixteen-chars-xx"] {
        assert_error(
            &check(net(json!({"kind": "direct", "dev": dev})), &facts()),
            "network",
            "not a network interface name",
        );
    }
    assert!(check(net(json!({"kind": "none"})), &facts()).ok());
}

#[test]
fn validate_virt_type_and_firmware() {
    assert_error(&check(with(json!({"virt_type": "kvm"})), &facts()), "virt_type", "vmx/svm");
    assert!(check(with(json!({"firmware": "efi"})), &facts()).ok());
    let mut no_ovmf = facts();
    no_ovmf.host.firmware.efi = false;
    assert_error(&check(with(json!({"firmware": "efi"})), &no_ovmf), "firmware", "OVMF");
    assert!(check(with(json!({"firmware": "bios"})), &no_ovmf).ok());
    let win = OsHints { efi: true, secure_boot: true, tpm: true, name: "Win 11".into(), ..OsHints::generic() };
    let findings = check(spec_json(), &Facts { os: OsLookup::Known(win), ..facts() });
    assert!(findings.ok(), "{findings:?}");
    assert!(findings.warnings["firmware"].contains("Secure Boot"), "{findings:?}");
}

#[test]
fn validate_volumes_to_check_names_what_create_makes() {
    let spec: Spec = serde_json::from_value(cloud(json!(null), json!(null))).unwrap();
    assert_eq!(
        volumes_to_check(&spec),
        vec![
            ("images".to_string(), "cop-vm.qcow2".to_string()),
            ("images".to_string(), "cop-vm-cidata.iso".to_string())
        ]
    );
}

#[test]
fn validate_volume_users_by_pool_volume_or_path() {
    use crate::model::{Vm, VmDisk};
    let disk = |source: &str, pool: Option<&str>, volume: Option<&str>| VmDisk {
        target: "vda".into(),
        device: "disk".into(),
        kind: "file".into(),
        bus: None,
        format: None,
        source: Some(source.into()),
        pool: pool.map(Into::into),
        volume: volume.map(Into::into),
        readonly: false,
        shareable: false,
        cache: None,
        serial: None,
    };
    let vm = |name: &str, disks: Vec<VmDisk>| {
        let mut vm: Vm = Vm {
            id: name.into(),
            name: name.into(),
            uri: "test:///default".into(),
            state: "shutoff",
            reason: "unknown",
            persistent: true,
            autostart: false,
            managed_save: false,
            config: Default::default(),
        };
        vm.config.disks = disks;
        vm
    };
    let vms = [
        vm("b-by-path", vec![disk("/pool/d.qcow2", None, None)]),
        vm("a-by-volume", vec![disk("d.qcow2", Some("images"), Some("d.qcow2"))]),
        vm("other", vec![disk("/pool/e.qcow2", None, None)]),
    ];
    let users = volume_users(vms.iter(), "images", "d.qcow2", Some("/pool/d.qcow2"));
    assert_eq!(users, vec!["a-by-volume".to_string(), "b-by-path".to_string()]);
    assert!(volume_users(vms.iter(), "images", "x.qcow2", None).is_empty());
}

/// Hostile local paths: never opened unless a regular file or block device; images that name other
/// files refused; a disk image or a text file as install media is called what it is.
#[test]
fn validate_local_sources_by_kind_and_content() {
    let dir = crate::media::local::tests::scratch("validate");
    let fifo = dir.join("fifo");
    let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o644) }, 0);
    let iso = |path: &str| with(json!({"source": {"kind": "iso", "path": path}}));
    let import = |path: &str| with(json!({"source": {"kind": "import", "path": path, "copy_to_pool": "images"}}));
    for (path, text) in [
        (fifo.to_str().unwrap(), "is a FIFO (named pipe), not a file"),
        ("/dev/zero", "is a character device, not a file"),
        ("/tmp", "is a directory, not a file"),
        ("tmp/x.iso", "absolute path"),
        ("/a\0b", "NUL"),
    ] {
        assert_error(&check(iso(path), &facts()), "source", text);
        assert_error(&check(import(path), &facts()), "source", text);
    }
    let mut header = vec![0u8; 104];
    header[..8].copy_from_slice(b"QFI\xfb\0\0\0\x03");
    let plain = dir.join("plain.qcow2");
    std::fs::write(&plain, &header).unwrap();
    header[8..16].copy_from_slice(&512u64.to_be_bytes());
    let backed = dir.join("backed.qcow2");
    std::fs::write(&backed, &header).unwrap();
    let plain = plain.to_str().unwrap();
    let backed = backed.to_str().unwrap();
    assert_error(&check(iso(plain), &facts()), "source", "is a qcow2 disk image, not installation media");
    assert!(check(import(plain), &facts()).ok());
    assert_error(&check(import(backed), &facts()), "source", "backing file");
    let in_place = with(json!({"source": {"kind": "import", "path": backed}}));
    assert_error(&check(in_place, &facts()), "source", "backing file");
    let cloud = with(json!({"source": {"kind": "cloud", "image": backed}}));
    assert_error(&check(cloud, &facts()), "source", "backing file");
    let text = check(iso("/etc/hostname"), &facts());
    assert!(text.ok() && text.warnings["source"].contains("not an ISO 9660 image"), "{text:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The table both sides check (tests/data/create-validation.json): the same fields get errors and
/// warnings here as in the page's rules (tests/browser/validate-table.test.mjs).
#[test]
fn validate_shared_table() {
    let table: Value = serde_json::from_str(include_str!("../../../tests/data/create-validation.json")).unwrap();
    let fields: Vec<&str> = table["fields"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
    let dir = crate::media::local::tests::scratch("table");
    let image = dir.join("cloud.qcow2");
    let mut header = vec![0u8; 104];
    header[..8].copy_from_slice(b"QFI\xfb\0\0\0\x03");
    std::fs::write(&image, &header).unwrap();
    let text = |case: &Value, key: &str| case.get(key).and_then(Value::as_str).unwrap_or("").to_string();
    let cases = table["cases"].as_array().unwrap();
    for case in cases {
        // As the page's toSpec builds it.
        let login = text(case, "login").trim().to_string();
        let password = text(case, "password");
        let keys: Vec<String> =
            case.get("ssh_keys").map(|k| serde_json::from_value(k.clone()).unwrap()).unwrap_or_default();
        let user = (!login.is_empty() || !password.is_empty() || !keys.is_empty()).then(
            || json!({"login": login, "password": (!password.is_empty()).then_some(&password), "ssh_keys": keys}),
        );
        let root_password = text(case, "root_password");
        let hostname = text(case, "hostname").trim().to_string();
        let spec = with(json!({
            "name": case.get("name").and_then(Value::as_str).unwrap_or("cvtable"),
            "source": {"kind": "cloud", "image": image.to_str().unwrap(), "user": user,
                       "root_password": (!root_password.is_empty()).then_some(root_password),
                       "hostname": (!hostname.is_empty()).then_some(hostname)},
        }));
        let findings = check(spec, &facts());
        let got = |map: &std::collections::BTreeMap<String, String>| -> Vec<String> {
            map.keys().filter(|k| fields.contains(&k.as_str())).cloned().collect()
        };
        let want = |key: &str| -> Vec<String> { serde_json::from_value(case[key].clone()).unwrap() };
        assert_eq!(got(&findings.errors), want("errors"), "{}: {findings:?}", case["case"]);
        assert_eq!(got(&findings.warnings), want("warnings"), "{}: {findings:?}", case["case"]);
    }
    assert!(cases.len() >= 30);
    std::fs::remove_dir_all(&dir).unwrap();
}
