//! `virNetworkGetDHCPLeases` through `virt-sys` (the `virt` crate has no wrapper).

use std::ffi::{CStr, c_char};

use serde::Serialize;
use virt::network::Network;
use virt_sys as sys;

use crate::problem::Problem;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Lease {
    pub mac: Option<String>,
    pub ip: Option<String>,
    pub prefix: u32,
    pub hostname: Option<String>,
    /// Unix seconds.
    pub expiry: i64,
    pub family: &'static str,
}

fn text(ptr: *const c_char) -> Option<String> {
    // SAFETY: libvirt's NUL-terminated strings, or NULL.
    (!ptr.is_null()).then(|| unsafe { CStr::from_ptr(ptr) }.to_string_lossy().into_owned())
}

pub fn leases(net: &Network) -> Result<Vec<Lease>, Problem> {
    let mut list: *mut sys::virNetworkDHCPLeasePtr = std::ptr::null_mut();
    // SAFETY: a valid network; libvirt allocates `list`, freed below lease by lease and then itself.
    let count = unsafe { sys::virNetworkGetDHCPLeases(net.as_ptr(), std::ptr::null(), &mut list, 0) };
    if count < 0 {
        return Err(virt::error::Error::last_error().into());
    }
    let mut leases = Vec::with_capacity(count as usize);
    for i in 0..count as usize {
        // SAFETY: `count` valid lease pointers.
        unsafe {
            let lease = *list.add(i);
            let l = &*lease;
            leases.push(Lease {
                mac: text(l.mac),
                ip: text(l.ipaddr),
                prefix: l.prefix,
                hostname: text(l.hostname),
                expiry: l.expirytime,
                family: if l.type_ == sys::VIR_IP_ADDR_TYPE_IPV6 as i32 { "ipv6" } else { "ipv4" },
            });
            sys::virNetworkDHCPLeaseFree(lease);
        }
    }
    if !list.is_null() {
        // SAFETY: the array libvirt allocated with malloc.
        unsafe { libc::free(list as *mut libc::c_void) };
    }
    Ok(leases)
}
