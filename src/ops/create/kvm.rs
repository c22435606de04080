//! Whether KVM can really run a guest here. domcapabilities alone is not enough: a software
//! `kvm_pvm` module offers `/dev/kvm` and libvirt lists `kvm`, yet without vmx/svm in the CPU
//! flags it cannot run a guest kernel. So we check every layer and say which one failed.

use std::fs::OpenOptions;
use std::os::fd::AsRawFd;

use serde::Serialize;

/// `KVM_GET_API_VERSION` = `_IO(KVMIO, 0x00)` with `KVMIO` = 0xAE.
const KVM_GET_API_VERSION: libc::c_ulong = 0xAE00;
/// The only stable KVM API version there has ever been.
const KVM_API_VERSION: libc::c_int = 12;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KvmStatus {
    pub usable: bool,
    pub reason: String,
}

/// Checks `/dev/kvm`, the CPU flags (on x86) and libvirt's word (`domcaps_has_kvm`), in that order.
pub fn detect(arch: &str, domcaps_has_kvm: bool) -> KvmStatus {
    let unusable = |reason: String| KvmStatus { usable: false, reason };
    if let Err(reason) = dev_kvm_api() {
        return unusable(reason);
    }
    if is_x86(arch) {
        match std::fs::read_to_string("/proc/cpuinfo") {
            Ok(cpuinfo) if !cpu_has_virt(&cpuinfo) => {
                return unusable("no hardware virtualization (vmx/svm) in /proc/cpuinfo".into());
            }
            Ok(_) => {}
            Err(err) => return unusable(format!("cannot read /proc/cpuinfo: {err}")),
        }
    }
    if !domcaps_has_kvm {
        return unusable("libvirt does not offer the kvm domain type on this host".into());
    }
    KvmStatus { usable: true, reason: "KVM is available".into() }
}

fn is_x86(arch: &str) -> bool {
    matches!(arch, "x86_64" | "i686" | "i386")
}

/// Opens `/dev/kvm` read-write and asks its API version.
fn dev_kvm_api() -> Result<(), String> {
    let kvm = OpenOptions::new().read(true).write(true).open("/dev/kvm").map_err(|err| format!("/dev/kvm: {err}"))?;
    // SAFETY: a plain ioctl without argument on a descriptor we own for the duration of the call.
    let version = unsafe { libc::ioctl(kvm.as_raw_fd(), KVM_GET_API_VERSION as _, 0) };
    if version != KVM_API_VERSION {
        return Err(format!("/dev/kvm answers API version {version}, not {KVM_API_VERSION}"));
    }
    Ok(())
}

/// Whether any `flags` line of `/proc/cpuinfo` lists `vmx` (Intel) or `svm` (AMD).
fn cpu_has_virt(cpuinfo: &str) -> bool {
    cpuinfo.lines().filter_map(|line| line.split_once(':')).any(|(key, value)| {
        key.trim() == "flags" && value.split_whitespace().any(|flag| flag == "vmx" || flag == "svm")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kvm_cpu_flags() {
        let amd = "processor\t: 0\nflags\t\t: fpu vme sse2 svm npt\nbugs\t\t: sysret_ss_attrs\n";
        let intel = "flags\t\t: fpu vmx ept\n";
        let pvm = "flags\t\t: fpu vme hypervisor lahf_lm\nvmx flags\t: none\n";
        assert!(cpu_has_virt(amd));
        assert!(cpu_has_virt(intel));
        assert!(!cpu_has_virt(pvm), "a 'vmx flags' line or the hypervisor flag is not vmx");
        assert!(!cpu_has_virt("flags : svmx vmxe\n"), "only whole words count");
        assert!(!cpu_has_virt(""));
    }

    #[test]
    fn kvm_on_this_machine_matches_cpuinfo() {
        // Whatever the host, a CPU without vmx/svm must never be called usable.
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let status = detect("x86_64", true);
        if !cpu_has_virt(&cpuinfo) {
            assert!(!status.usable, "{status:?}");
        }
    }
}
