#!/bin/bash
# Asks the libvirt daemon behind URI (default qemu:///system) for every driver the page uses: QEMU's, storage
# pools, networks, node devices, secrets. Exits 0 when all answer; otherwise prints one
# line naming the Debian packages to install and exits 1 (2 when URI does not answer at all).
#   preflight.sh [URI]
# Debian's libvirt-daemon only recommends the driver packages, so `apt-get install --no-install-recommends`
# leaves them out, and libvirt then answers "this function is not supported by the connection driver" (or "no
# connection driver available") for every call of the missing driver.
set -uo pipefail
uri=${1:-qemu:///system}

# virsh command, what it lists, the Debian package that holds its driver
checks=(
    "pool-list storage libvirt-daemon-driver-storage"
    "net-list network libvirt-daemon-driver-network"
    "nodedev-list nodedev libvirt-daemon-driver-nodedev"
    "secret-list secret libvirt-daemon-driver-secret"
)

if ! out=$(timeout 20 virsh -q -c "$uri" uri 2>&1); then
    if [[ $uri == qemu:* && $out == *"no connection driver available"* ]]; then
        echo "preflight: libvirt at $uri has no qemu driver; install: apt-get install libvirt-daemon-driver-qemu" >&2
        exit 1
    fi
    echo "preflight: libvirt at $uri does not answer: ${out//$'\n'/ }" >&2
    exit 2
fi

missing_drivers=()
missing_packages=()
for check in "${checks[@]}"; do
    read -r command driver package <<<"$check"
    if out=$(timeout 20 virsh -q -c "$uri" "$command" 2>&1); then
        continue
    fi
    case $out in
        *"not supported by the connection driver"* | *"no connection driver available"*)
            missing_drivers+=("$driver")
            missing_packages+=("$package")
            ;;
        *)
            echo "preflight: virsh -c $uri $command failed: ${out//$'\n'/ }" >&2
            exit 1
            ;;
    esac
done

if [ ${#missing_drivers[@]} -gt 0 ]; then
    list=${missing_drivers[*]}
    echo "preflight: libvirt at $uri has no ${list// /, } driver; install: apt-get install ${missing_packages[*]}" >&2
    exit 1
fi
