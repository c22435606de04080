use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use super::*;

fn full_config() -> SeedConfig {
    SeedConfig {
        instance_id: "5c1b0a4e-8d0e-4f7a-9a57-0d1c2b3a4f5e".into(),
        hostname: Some("web-1".into()),
        user: Some(SeedUser {
            login: "alice".into(),
            password: Some(Password::Plain("pa\"ss: #1 \\ ünï".into())),
            ssh_keys: vec!["ssh-ed25519 AAAAC3Nza alice@laptop\n".into(), " \n".into(), "ssh-rsa AAAAB3 bob".into()],
        }),
        root_password: Some(Password::Hashed("$6$salt$hash".into())),
        network_config: None,
    }
}

#[test]
fn nocloud_user_data_full() {
    let expected = r##"#cloud-config
hostname: "web-1"
users:
  - name: "alice"
    lock_passwd: false
    plain_text_passwd: "pa\"ss: #1 \\ \u00fcn\u00ef"
    sudo: "ALL=(ALL) ALL"
    shell: "/bin/bash"
    ssh_authorized_keys:
      - "ssh-ed25519 AAAAC3Nza alice@laptop"
      - "ssh-rsa AAAAB3 bob"
chpasswd:
  expire: false
  users:
    - name: "root"
      password: "$6$salt$hash"
      type: "hash"
ssh_pwauth: true
"##;
    assert_eq!(render_user_data(&full_config()), expected);
}

#[test]
fn nocloud_user_data_variants() {
    let empty = SeedConfig { instance_id: "i".into(), ..Default::default() };
    assert_eq!(render_user_data(&empty), "#cloud-config\n");

    let key_only = SeedConfig {
        user: Some(SeedUser { login: "bob".into(), password: None, ssh_keys: vec!["ssh-ed25519 K".into()] }),
        ..empty.clone()
    };
    assert_eq!(
        render_user_data(&key_only),
        "#cloud-config\nusers:\n  - name: \"bob\"\n    sudo: \"ALL=(ALL) NOPASSWD:ALL\"\n    shell: \"/bin/bash\"\n    ssh_authorized_keys:\n      - \"ssh-ed25519 K\"\n"
    );

    let root_only = SeedConfig { root_password: Some(Password::Plain("r00t".into())), ..empty };
    assert_eq!(
        render_user_data(&root_only),
        "#cloud-config\nchpasswd:\n  expire: false\n  users:\n    - name: \"root\"\n      password: \"r00t\"\n      type: \"text\"\nssh_pwauth: true\n"
    );
}

#[test]
fn nocloud_meta_data() {
    assert_eq!(
        render_meta_data(&full_config()),
        "instance-id: \"5c1b0a4e-8d0e-4f7a-9a57-0d1c2b3a4f5e\"\nlocal-hostname: \"web-1\"\n"
    );
    let bare = SeedConfig { instance_id: "i-1".into(), ..Default::default() };
    assert_eq!(render_meta_data(&bare), "instance-id: \"i-1\"\n");
}

#[test]
fn nocloud_yaml_str_escapes() {
    let cases = [
        ("plain", "\"plain\""),
        ("a\"b\\c", "\"a\\\"b\\\\c\""),
        ("line\nbreak\ttab", "\"line\\u000abreak\\u0009tab\""),
        ("é\u{7f}\u{85}\u{2028}", "\"\\u00e9\\u007f\\u0085\\u2028\""),
        ("😀", "\"\\U0001f600\""),
        ("- [x]: {y} # z &a *b !c |d >e %f @g `h", "\"- [x]: {y} # z &a *b !c |d >e %f @g `h\""),
    ];
    for (value, expected) in cases {
        assert_eq!(yaml_str(value), expected, "{value:?}");
    }
}

/// PyYAML (what cloud-init parses with) reads every tricky value back exactly.
#[test]
fn nocloud_user_data_parses_in_pyyaml() {
    let tricky = "quote\" back\\slash\nnl\ttab é \u{7f}\u{85}\u{2028} 😀 #: - &*!|>%@`'{}[]";
    let config = SeedConfig {
        instance_id: tricky.into(),
        hostname: Some(tricky.into()),
        user: Some(SeedUser {
            login: tricky.into(),
            password: Some(Password::Plain(tricky.into())),
            ssh_keys: vec![tricky.into()],
        }),
        root_password: Some(Password::Plain(tricky.into())),
        network_config: None,
    };
    let script = "import sys, json, yaml\nprint(json.dumps([yaml.safe_load(open(p)) for p in sys.argv[1:]]))";
    let dir = scratch_dir("yaml");
    std::fs::write(dir.join("user-data"), render_user_data(&config)).unwrap();
    std::fs::write(dir.join("meta-data"), render_meta_data(&config)).unwrap();
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(dir.join("user-data"))
        .arg(dir.join("meta-data"))
        .output()
        .expect("python3 with python3-yaml is needed for this test");
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let docs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let (user_data, meta_data) = (&docs[0], &docs[1]);
    assert_eq!(user_data["hostname"], tricky);
    assert_eq!(user_data["users"][0]["name"], tricky);
    assert_eq!(user_data["users"][0]["plain_text_passwd"], tricky);
    assert_eq!(user_data["users"][0]["lock_passwd"], false);
    assert_eq!(user_data["users"][0]["ssh_authorized_keys"][0], tricky);
    assert_eq!(user_data["chpasswd"]["users"][0]["password"], tricky);
    assert_eq!(user_data["chpasswd"]["expire"], false);
    assert_eq!(user_data["ssh_pwauth"], true);
    assert_eq!(meta_data["instance-id"], tricky);
    assert_eq!(meta_data["local-hostname"], tricky);
}

#[test]
fn nocloud_dates() {
    let cases = [
        (0, [70, 1, 1, 0, 0, 0, 0], "1970010100000000"),
        (951_827_696, [100, 2, 29, 12, 34, 56, 0], "2000022912345600"),
        (1_795_651_199, [126, 11, 25, 23, 59, 59, 0], "2026112523595900"),
        (4_107_542_400, [200, 3, 1, 0, 0, 0, 0], "2100030100000000"),
    ];
    for (secs, record, text) in cases {
        let date = RecordDate::from_unix(secs);
        assert_eq!(date.record(), record, "{secs}");
        assert_eq!(&date.descriptor()[..16], text.as_bytes(), "{secs}");
    }
}

#[test]
fn nocloud_iso_names() {
    assert_eq!(iso_name("user-data"), "USER-DATA.;1");
    assert_eq!(iso_name("meta-data"), "META-DATA.;1");
    assert_eq!(iso_name("network-config"), "NETWORK-CONFIG.;1");
    assert_eq!(iso_name("a b.txt"), "A_B.TXT;1");
    assert!(iso_image("cidata", &[("a b", b"1"), ("a_b", b"2")], SystemTime::UNIX_EPOCH).is_err());
    assert!(iso_image(&"x".repeat(33), &[], SystemTime::UNIX_EPOCH).is_err());
}

fn scratch_dir(tag: &str) -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("cvirt-nocloud-{tag}-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn xorriso(args: &[&str]) -> String {
    let out = Command::new("xorriso").args(args).output().expect("xorriso is needed for this test");
    assert!(out.status.success(), "xorriso {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// xorriso, reading as Linux does (Rock Ridge names), sees the label, exactly our names, and our bytes.
#[test]
fn nocloud_iso_reads_back_with_xorriso() {
    let mut config = full_config();
    // More than one sector, so a file spans several and the next one starts past it.
    config.user.as_mut().unwrap().ssh_keys =
        (0..60).map(|i| format!("ssh-ed25519 {} key{i}", "A".repeat(68))).collect();
    config.network_config = Some("version: 2\nethernets:\n  eth0:\n    dhcp4: true\n".into());
    let dir = scratch_dir("iso");
    let iso = dir.join("seed.iso");
    write_seed_iso(&iso, &config).unwrap();
    let iso_arg = iso.to_str().unwrap();

    let pvd = xorriso(&["-indev", iso_arg, "-pvd_info"]);
    assert!(pvd.lines().any(|l| l.starts_with("Volume Id") && l.trim_end().ends_with(": cidata")), "{pvd}");
    let listing = xorriso(&["-indev", iso_arg, "-find", "/", "-type", "f"]);
    let mut names: Vec<&str> = listing.lines().map(|l| l.trim_matches('\'')).collect();
    names.sort();
    assert_eq!(names, ["/meta-data", "/network-config", "/user-data"]);
    let modes = xorriso(&["-indev", iso_arg, "-lsdl", "/user-data"]);
    assert!(modes.starts_with("-r--r--r--"), "Rock Ridge PX not read: {modes}");

    let user_data = render_user_data(&config);
    assert!(user_data.len() > 2 * SECTOR_SIZE);
    let expected = [
        ("user-data", user_data),
        ("meta-data", render_meta_data(&config)),
        ("network-config", config.network_config.clone().unwrap()),
    ];
    for (name, contents) in expected {
        let out = dir.join(format!("out-{name}"));
        xorriso(&["-osirrox", "on", "-indev", iso_arg, "-extract", &format!("/{name}"), out.to_str().unwrap()]);
        assert_eq!(std::fs::read_to_string(&out).unwrap(), contents, "{name}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The plain ISO9660 tree, for readers that skip Rock Ridge: names as Linux's `map=normal` turns into ours.
#[test]
fn nocloud_iso_plain_names() {
    let config = SeedConfig { instance_id: "i".into(), ..Default::default() };
    let dir = scratch_dir("plain");
    let iso = dir.join("seed.iso");
    std::fs::write(&iso, seed_iso(&config, SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_651_199)).unwrap())
        .unwrap();
    let listing = xorriso(&["-read_fs", "ecma119", "-indev", iso.to_str().unwrap(), "-find", "/", "-type", "f"]);
    std::fs::remove_dir_all(&dir).unwrap();
    let mut names: Vec<&str> = listing.lines().map(|l| l.trim_matches('\'')).collect();
    names.sort();
    // xorriso drops the `.;1`; Linux also lowercases (`map=normal`), giving `meta-data` and `user-data`.
    assert_eq!(names, ["/META-DATA", "/USER-DATA"]);
}

#[test]
fn nocloud_passwords_are_sha512_crypt_with_a_fresh_salt() {
    use sha_crypt::{PasswordVerifier, ShaCrypt};
    let Password::Hashed(a) = Password::hashed("Cop-Secret-9").unwrap() else { panic!("not hashed") };
    let Password::Hashed(b) = Password::hashed("Cop-Secret-9").unwrap() else { panic!("not hashed") };
    assert!(a.starts_with("$6$") && !a.contains("Cop-Secret-9"), "{a}");
    assert_ne!(a, b, "each hash has its own salt");
    assert!(ShaCrypt::SHA512.verify_password(b"Cop-Secret-9", a.as_str()).is_ok());
    assert!(ShaCrypt::SHA512.verify_password(b"cop-secret-9", a.as_str()).is_err());
    // glibc's crypt(3) reads it back: what the guest's login does (skipped without python3's crypt).
    let check = std::process::Command::new("python3")
        .args([
            "-c",
            "import crypt,sys; print(crypt.crypt(sys.argv[1], sys.argv[2]) == sys.argv[2])",
            "Cop-Secret-9",
            &a,
        ])
        .output();
    if let Ok(out) = check
        && out.status.success()
    {
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "True");
    }
}
