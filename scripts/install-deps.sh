#!/bin/bash
# Installs everything cockpit-virt needs to build, run and test on Debian 12 or 13, idempotently and without
# prompts. On Debian 12 the Debian 13 stack (cockpit 337, libvirt 11.3, QEMU 10) comes from bookworm-backports.
#   install-deps.sh run    what `make run` needs (build + cockpit-ws + libvirt + QEMU)
#   install-deps.sh test   also Chromium, guest-building tools and cockpit 287's bridge
set -euo pipefail
what=${1:-run}
here=$(cd "$(dirname "$0")/.." && pwd)
stamp_dir=/var/lib/cockpit-virt-deps
[ "$(id -u)" = 0 ] || { echo "install-deps.sh: run as root (it uses apt-get)" >&2; exit 1; }

. /etc/os-release
target=()
if [ "${VERSION_CODENAME:-}" = bookworm ]; then
    src=/etc/apt/sources.list.d/cockpit-virt-backports.sources
    if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
        cat > "$src" <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
        rm -f "$stamp_dir"/apt-updated
    fi
    target=(-t bookworm-backports)
fi

# libvirt-daemon only recommends its drivers, and we install without recommends: name each driver the page uses
# (storage pools and volumes, networks, node devices, secrets, interfaces, network filters) and the storage
# backends libvirt itself recommends. tests/lib/preflight.sh checks that libvirtd really loaded them.
run_pkgs=(cockpit-ws cockpit-bridge cockpit-system sudo
          libvirt-daemon libvirt-daemon-driver-qemu libvirt-daemon-config-network libvirt-clients libvirt-dev
          libvirt-daemon-driver-storage libvirt-daemon-driver-network libvirt-daemon-driver-nodedev
          libvirt-daemon-driver-secret libvirt-daemon-driver-interface libvirt-daemon-driver-nwfilter
          libvirt-daemon-driver-storage-disk libvirt-daemon-driver-storage-logical
          libvirt-daemon-driver-storage-scsi libvirt-daemon-driver-storage-iscsi libvirt-daemon-driver-storage-mpath
          libvirt-daemon-driver-storage-iscsi-direct
          libvirt-daemon-lock libvirt-daemon-plugin-lockd
          qemu-system-x86 qemu-utils dbus pkg-config gcc make nodejs npm osinfo-db
          busybox-static cpio gzip
          ovmf swtpm swtpm-tools  # UEFI, secure boot and TPM for new VMs (Windows 11)
          libsasl2-modules)  # remote hosts that ask for a user name and password (SASL DIGEST-MD5)
# lvm2: the logical pool test builds a volume group on a loop device (libvirt runs vgcreate/lvcreate).
test_pkgs=(chromium fonts-liberation python3 curl lvm2
           dpkg-dev debhelper lintian appstream rpm rpmlint  # tests/install (make check-install)
           xorriso python3-yaml  # cargo test: the NoCloud seed ISO read back as xorriso and cloud-init read it
           syslinux syslinux-common isolinux pxelinux mtools dosfstools  # tests/lib/build-media.sh
           ipxe-qemu qemu-block-extra  # PXE ROMs; QEMU's curl driver for http CD-ROMs (tests/create)
           passt  # user-mode interfaces with port forwards (tests/libvirt/devices)
           openssh-server  # an sshd in a second host's namespace (tests/harness/sshd.mjs, qemu+ssh connections)
           sasl2-bin libsasl2-modules-db  # a second host's own SASL users (DIGEST-MD5, sasldb)
           iproute2  # ss: libvirtd drained before a helper is killed; ss -K cuts a host's connection (host-drop)
           tgt parted)  # a userspace iSCSI target (tests/lib/iscsi-target.sh); disk pools partition with parted

pkgs=("${run_pkgs[@]}")
[ "$what" = test ] && pkgs+=("${test_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# The machine may already have node/npm from another source (e.g. nodesource); don't fight it.
if command -v node >/dev/null && command -v npm >/dev/null; then
    filtered=(); for p in "${missing[@]}"; do [[ $p == nodejs || $p == npm ]] || filtered+=("$p"); done
    missing=("${filtered[@]}")
fi
export DEBIAN_FRONTEND=noninteractive
if [ ${#missing[@]} -gt 0 ]; then
    mkdir -p "$stamp_dir"
    # A stale package list can't find backports packages: refresh once per day at most.
    if [ -z "$(find "$stamp_dir/apt-updated" -mmin -1440 2>/dev/null)" ]; then
        apt-get update -q && touch "$stamp_dir/apt-updated"
    fi
    echo "install-deps: installing ${missing[*]}" >&2
    apt-get install -y -q --no-install-recommends "${target[@]}" "${missing[@]}" \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold </dev/null
fi

if ! command -v cargo >/dev/null && [ -x "$HOME/.cargo/bin/cargo" ]; then export PATH="$HOME/.cargo/bin:$PATH"; fi
if ! command -v cargo >/dev/null; then
    # The helper needs Rust ≥ 1.85 (edition 2024): Debian 12 has it as the "-web" toolchain (kept current by its
    # security updates), Debian 13 as its default one. Both with clippy and rustfmt for `make lint`.
    echo "install-deps: installing Rust from Debian" >&2
    if [ "${VERSION_CODENAME:-}" = bookworm ]; then
        rust_pkgs=(cargo-web rustc-web rust-web-clippy rustfmt-web)
        apt-cache show rustfmt-web >/dev/null 2>&1 || rust_pkgs=(cargo-web rustc-web rust-web-clippy)
    else
        rust_pkgs=(cargo rustc rust-clippy rustfmt)
    fi
    apt-get install -y -q --no-install-recommends "${rust_pkgs[@]}" </dev/null
fi

if [ "$what" = test ]; then
    # Cockpit 287's C bridge (Debian 12's own), unpacked beside the tree: tests run the helper under both bridges.
    "$here/tests/lib/fetch-bridge-287.sh"
fi

# virtiofsd (shared directories, issue #16): Debian 13 ships it as a package; Debian 12 and its backports do not
# (QEMU 10 dropped the C one), so it is built from crates.io there, with a vhost-user descriptor so that libvirt
# finds it as it finds the packaged one.
if ! command -v virtiofsd >/dev/null && [ ! -x /usr/libexec/virtiofsd ] && [ ! -x /usr/lib/qemu/virtiofsd ]; then
    if apt-cache show virtiofsd >/dev/null 2>&1; then
        apt-get install -y -q --no-install-recommends virtiofsd </dev/null
    else
        echo "install-deps: building virtiofsd from crates.io" >&2
        apt-get install -y -q --no-install-recommends libseccomp-dev libcap-ng-dev </dev/null
        cargo install virtiofsd --locked --root /usr/local
        mkdir -p /etc/qemu/vhost-user
        cat > /etc/qemu/vhost-user/50-virtiofsd.json <<'JSON'
{
  "description": "virtiofsd vhost-user-fs (cargo install, scripts/install-deps.sh)",
  "type": "fs",
  "binary": "/usr/local/bin/virtiofsd",
  "features": ["migrate-precopy", "separate-options"]
}
JSON
    fi
fi
