use std::path::{Path, PathBuf};

use super::devices::{boot_orders, disk_letters};
use super::*;
use crate::xml::parse_domain;

const ODD_NAME: &str = "my VM ünïcødé \"quoted\" 'single' <&> 日本";

fn iso_linux() -> DomainPlan {
    DomainPlan {
        name: "debian12".into(),
        uuid: Some("5c1b0a4e-8d0e-4f7a-9a57-0d1c2b3a4f5e".into()),
        virt_type: VirtType::Kvm,
        arch: "x86_64".into(),
        machine: Machine::Q35,
        firmware: Firmware::Bios,
        tpm: false,
        memory_mib: 2048,
        vcpus: 2,
        os_id: Some("http://debian.org/debian/12".into()),
        disks: vec![
            DiskPlan {
                device: DiskDevice::Disk,
                source: DiskSource::Volume { pool: "default".into(), volume: "debian12.qcow2".into() },
                format: Some("qcow2".into()),
                readonly: false,
            },
            DiskPlan {
                device: DiskDevice::Cdrom,
                source: DiskSource::File("/var/lib/libvirt/images/debian-12.7.0-amd64-netinst.iso".into()),
                format: Some("raw".into()),
                readonly: true,
            },
        ],
        interfaces: vec![NicPlan::Network("default".into())],
        // The empty disk does not boot, so the firmware falls through to the CD-ROM until the OS is installed.
        boot: vec![BootDev::Hd, BootDev::Cdrom],
        kernel: None,
        virtio: true,
        graphics_vnc: true,
        serial_console: true,
        guest_agent_channel: true,
        first_boot: None,
    }
}

/// One plan per source kind and OS family; each has `testdata/build/<name>.xml`.
fn golden_plans() -> Vec<(&'static str, DomainPlan)> {
    let base = iso_linux();
    let url = DomainPlan {
        name: "fedora40".into(),
        uuid: None,
        os_id: Some("http://fedoraproject.org/fedora/40".into()),
        firmware: Firmware::Efi { secure_boot: false },
        disks: vec![
            base.disks[0].clone(),
            DiskPlan {
                device: DiskDevice::Cdrom,
                source: DiskSource::Network {
                    protocol: "http".into(),
                    host: "mirror.example.org".into(),
                    port: 8080,
                    path: "/fedora/40/Fedora-Everything-netinst-x86_64-40-1.14.iso?x=1&y=2".into(),
                },
                format: None,
                readonly: true,
            },
        ],
        ..base.clone()
    };
    let pxe = DomainPlan {
        name: "pxe-guest".into(),
        uuid: None,
        os_id: None,
        disks: vec![base.disks[0].clone()],
        boot: vec![BootDev::Hd, BootDev::Network],
        guest_agent_channel: false,
        first_boot: None,
        ..base.clone()
    };
    let cloud = DomainPlan {
        name: "ubuntu-cloud".into(),
        uuid: None,
        os_id: Some("http://ubuntu.com/ubuntu/24.04".into()),
        disks: vec![
            DiskPlan {
                device: DiskDevice::Disk,
                source: DiskSource::File("/var/lib/libvirt/images/ubuntu-cloud.qcow2".into()),
                format: Some("qcow2".into()),
                readonly: false,
            },
            DiskPlan {
                device: DiskDevice::Cdrom,
                source: DiskSource::File("/var/lib/libvirt/images/ubuntu-cloud-cidata.iso".into()),
                format: Some("raw".into()),
                readonly: true,
            },
        ],
        interfaces: vec![NicPlan::Direct("eth0".into())],
        boot: vec![BootDev::Hd],
        ..base.clone()
    };
    let import_pc = DomainPlan {
        name: "winxp".into(),
        uuid: None,
        machine: Machine::Pc,
        memory_mib: 512,
        vcpus: 1,
        os_id: Some("http://microsoft.com/win/xp".into()),
        disks: vec![
            DiskPlan {
                device: DiskDevice::Disk,
                source: DiskSource::File("/srv/vms/winxp.qcow2".into()),
                format: Some("qcow2".into()),
                readonly: false,
            },
            DiskPlan {
                device: DiskDevice::Cdrom,
                source: DiskSource::File("/srv/iso/drivers.iso".into()),
                format: Some("raw".into()),
                readonly: true,
            },
        ],
        interfaces: vec![NicPlan::Bridge("br0".into())],
        boot: vec![BootDev::Hd],
        virtio: false,
        serial_console: false,
        guest_agent_channel: false,
        first_boot: None,
        ..base.clone()
    };
    let win11 = DomainPlan {
        name: "win11".into(),
        uuid: None,
        firmware: Firmware::Efi { secure_boot: true },
        tpm: true,
        memory_mib: 4096,
        os_id: Some("http://microsoft.com/win/11".into()),
        disks: vec![
            DiskPlan {
                device: DiskDevice::Disk,
                source: DiskSource::Volume { pool: "default".into(), volume: "win11.qcow2".into() },
                format: Some("qcow2".into()),
                readonly: false,
            },
            DiskPlan {
                device: DiskDevice::Cdrom,
                source: DiskSource::File("/var/lib/libvirt/images/Win11_24H2_English_x64.iso".into()),
                format: Some("raw".into()),
                readonly: true,
            },
        ],
        virtio: false,
        serial_console: false,
        guest_agent_channel: false,
        first_boot: None,
        ..base.clone()
    };
    let tcg = DomainPlan {
        name: ODD_NAME.into(),
        uuid: None,
        virt_type: VirtType::Qemu,
        memory_mib: 256,
        vcpus: 1,
        os_id: None,
        interfaces: vec![NicPlan::User],
        ..base.clone()
    };
    let tree = DomainPlan {
        name: "fedora-tree".into(),
        uuid: None,
        os_id: Some("http://fedoraproject.org/fedora/40".into()),
        disks: vec![base.disks[0].clone()],
        boot: vec![BootDev::Hd],
        kernel: Some(DirectKernel {
            kernel: "/var/lib/libvirt/boot/fedora-tree-vmlinuz".into(),
            initrd: Some("/var/lib/libvirt/boot/fedora-tree-initrd.img".into()),
            cmdline: Some("inst.repo=http://mirror.example.org/f40/?a=1&b=<2> console=ttyS0".into()),
        }),
        ..base.clone()
    };
    vec![
        ("iso-linux-q35-kvm", base),
        ("url-network-cdrom-efi", url),
        ("pxe-network", pxe),
        ("cloud-image-seed", cloud),
        ("import-pc-windows-xp", import_pc),
        ("windows11-secure-boot-tpm", win11),
        ("tcg-odd-name-user-net", tcg),
        ("tree-kernel-boot", tree),
    ]
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/xml/testdata/build")
}

/// Each plan must build to exactly its golden file. `UPDATE_GOLDEN=1 cargo test` rewrites them after a
/// deliberate change (then check them with libvirt: `virsh define` each one, see docs/architecture.md).
#[test]
fn build_golden_files() {
    let dir = golden_dir();
    let plans = golden_plans();
    for (name, plan) in &plans {
        let xml = build_domain_xml(plan).unwrap_or_else(|e| panic!("{name}: {e:#}"));
        let golden = dir.join(format!("{name}.xml"));
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&golden, &xml).unwrap();
        }
        let expected = std::fs::read_to_string(&golden).unwrap_or_default();
        assert_eq!(xml, expected, "{} differs from its golden file", golden.display());
    }
    // A golden file without a plan would never be checked again.
    for entry in std::fs::read_dir(&dir).unwrap() {
        let file = entry.unwrap().file_name().into_string().unwrap();
        let stem = file.strip_suffix(".xml").unwrap_or(&file);
        assert!(plans.iter().any(|(name, _)| *name == stem), "{file} in {} has no plan", dir.display());
    }
}

#[test]
fn build_parses_back() {
    let mut plan = iso_linux();
    plan.name = ODD_NAME.into();
    plan.memory_mib = 1536;
    plan.vcpus = 3;
    plan.disks.push(DiskPlan {
        device: DiskDevice::Disk,
        source: DiskSource::File("/srv/a \"b\" <&>.raw".into()),
        format: None,
        readonly: true,
    });
    plan.disks.push(DiskPlan {
        device: DiskDevice::Cdrom,
        source: DiskSource::Network { protocol: "http".into(), host: "h".into(), port: 80, path: "/x.iso".into() },
        format: None,
        readonly: false,
    });
    plan.interfaces = vec![
        NicPlan::Network("net 'x' & <y>".into()),
        NicPlan::Bridge("br0".into()),
        NicPlan::Direct("eth0".into()),
        NicPlan::User,
    ];
    let config = parse_domain(&build_domain_xml(&plan).unwrap()).unwrap();
    assert_eq!(config.name, ODD_NAME);
    assert_eq!(config.uuid, plan.uuid.unwrap());
    assert_eq!(config.domain_type, "kvm");
    assert_eq!((config.os_type.as_str(), config.arch.as_str(), config.machine.as_str()), ("hvm", "x86_64", "q35"));
    assert_eq!(config.firmware, "bios");
    assert_eq!(config.memory, 1536 << 20);
    assert_eq!(config.max_memory, 1536 << 20);
    assert_eq!(config.vcpus, 3);
    let disks: Vec<_> = config
        .disks
        .iter()
        .map(|d| {
            let bus = d.bus.as_deref().unwrap();
            (d.target.as_str(), d.device.as_str(), d.kind.as_str(), bus, d.format.as_deref(), d.source.as_deref())
        })
        .collect();
    assert_eq!(
        disks,
        [
            ("vda", "disk", "volume", "virtio", Some("qcow2"), None),
            ("sda", "cdrom", "file", "sata", Some("raw"), Some(plan.disks[1].source_path())),
            ("vdb", "disk", "file", "virtio", Some("raw"), Some("/srv/a \"b\" <&>.raw")),
            ("sdb", "cdrom", "network", "sata", Some("raw"), Some("/x.iso")),
        ]
    );
    assert_eq!(
        (config.disks[0].pool.as_deref(), config.disks[0].volume.as_deref()),
        (Some("default"), Some("debian12.qcow2"))
    );
    assert_eq!(config.disks.iter().map(|d| d.readonly).collect::<Vec<_>>(), [false, true, true, true]);
    let nics: Vec<_> =
        config.interfaces.iter().map(|n| (n.kind.as_str(), n.source.as_deref(), n.model.as_deref())).collect();
    assert_eq!(
        nics,
        [
            ("network", Some("net 'x' & <y>"), Some("virtio")),
            ("bridge", Some("br0"), Some("virtio")),
            ("direct", Some("eth0"), Some("virtio")),
            ("user", None, Some("virtio")),
        ]
    );
    assert_eq!(config.graphics.iter().map(|g| g.kind.as_str()).collect::<Vec<_>>(), ["vnc"]);
    let consoles: Vec<_> = config.consoles.iter().map(|c| (c.kind.as_str(), c.target.as_deref())).collect();
    assert_eq!(consoles, [("pty", Some("serial"))]);
}

impl DiskPlan {
    fn source_path(&self) -> &str {
        match &self.source {
            DiskSource::File(path) => path,
            _ => panic!("not a file"),
        }
    }
}

#[test]
fn build_efi_and_emulated_devices_parse_back() {
    let plans = golden_plans();
    let win11 = &plans.iter().find(|(name, _)| *name == "windows11-secure-boot-tpm").unwrap().1;
    let config = parse_domain(&build_domain_xml(win11).unwrap()).unwrap();
    assert_eq!(config.firmware, "efi");
    assert_eq!(
        config.disks.iter().map(|d| (d.target.as_str(), d.bus.as_deref())).collect::<Vec<_>>(),
        [("sda", Some("sata")), ("sdb", Some("sata"))]
    );
    assert_eq!(config.interfaces[0].model.as_deref(), Some("e1000e"));
    assert!(config.consoles.is_empty());

    let xp = &plans.iter().find(|(name, _)| *name == "import-pc-windows-xp").unwrap().1;
    let config = parse_domain(&build_domain_xml(xp).unwrap()).unwrap();
    assert_eq!(config.machine, "pc");
    assert_eq!(
        config.disks.iter().map(|d| (d.target.as_str(), d.bus.as_deref())).collect::<Vec<_>>(),
        [("hda", Some("ide")), ("hdb", Some("ide"))]
    );
    assert_eq!(config.interfaces[0].model.as_deref(), Some("e1000"));
}

#[test]
fn build_disk_letters_follow_libvirt() {
    let cases =
        [(0, "a"), (1, "b"), (25, "z"), (26, "aa"), (27, "ab"), (51, "az"), (52, "ba"), (701, "zz"), (702, "aaa")];
    for (index, letters) in cases {
        assert_eq!(disk_letters(index), letters, "index {index}");
    }
}

#[test]
fn build_boot_order_per_device() {
    let mut plan = iso_linux();
    plan.disks.push(plan.disks[0].clone());
    plan.interfaces.push(NicPlan::User);
    plan.boot = vec![BootDev::Cdrom, BootDev::Network, BootDev::Hd, BootDev::Cdrom];
    let (disks, nics) = boot_orders(&plan);
    // disks: vda, sda (cdrom), vdb
    assert_eq!(disks, [Some(4), Some(1), Some(5)]);
    assert_eq!(nics, [Some(2), Some(3)]);
    plan.boot.clear();
    assert_eq!(boot_orders(&plan), (vec![None; 3], vec![None; 2]));
}

#[test]
fn build_rejects_what_xml_or_qemu_cannot_carry() {
    type Change = fn(&mut DomainPlan);
    let cases: [(&str, Change); 9] = [
        ("empty", |p| p.name = " ".into()),
        ("U+0001", |p| p.name = "a\u{1}b".into()),
        ("U+001B", |p| p.disks[1].source = DiskSource::File("/x\u{1b}".into())),
        ("memory", |p| p.memory_mib = 0),
        ("overflows", |p| p.memory_mib = u64::MAX),
        ("vCPU", |p| p.vcpus = 0),
        ("q35", |p| {
            p.machine = Machine::Pc;
            p.firmware = Firmware::Efi { secure_boot: true };
        }),
        ("four IDE", |p| {
            p.machine = Machine::Pc;
            p.virtio = false;
            p.disks = vec![p.disks[1].clone(); 5];
        }),
        ("read-only", |p| {
            p.virtio = false;
            p.disks[0].readonly = true;
        }),
    ];
    for (needle, change) in cases {
        let mut plan = iso_linux();
        change(&mut plan);
        let err = format!("{:#}", build_domain_xml(&plan).unwrap_err());
        assert!(err.contains(needle), "{err:?} should mention {needle:?}");
    }
    // Tabs and newlines are fine: quick-xml escapes them as character references.
    let mut plan = iso_linux();
    plan.name = "a\tb\nc".into();
    assert_eq!(parse_domain(&build_domain_xml(&plan).unwrap()).unwrap().name, "a\tb\nc");
}
