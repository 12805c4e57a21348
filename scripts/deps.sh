#!/usr/bin/env bash
# The one list of Debian packages nvad's build, tests and lab need, and the function that
# installs them. Sourced by .ci/run and scripts/lab-up.sh; run directly to install:
#
#   bash scripts/deps.sh          # apt-get update + install whatever is missing (as root)
#   bash scripts/deps.sh --list   # print the list, one package a line
#
# Why each package is here:
#   iproute2 iptables iputils-ping tcpdump tshark iperf3   namespaces, NAT, probes, packet checks
#   strongswan-charon strongswan-swanctl libcharon-extra-plugins libstrongswan-standard-plugins
#                                                      the IKEv2/ESP peer (kernel-libipsec is in
#                                                      libcharon-extra-plugins)
#   frr bird2 gobgpd                                   BGP peers
#   podman runc debootstrap                            container build/run test (see
#                                                      ../shared/docs/container-build.md)
#   g++ make python3                                   node-gyp builds the native addon
#   procps psmisc curl ca-certificates                 ps/pkill-free process checks, HTTP probes

NVAD_APT_PACKAGES=(
  iproute2 iptables iputils-ping tcpdump tshark iperf3
  strongswan-charon strongswan-swanctl libcharon-extra-plugins libstrongswan-standard-plugins
  frr bird2 gobgpd
  podman runc debootstrap
  g++ make python3
  procps psmisc curl ca-certificates
)

# Print the packages of NVAD_APT_PACKAGES that are not installed.
nvad_missing_packages() {
  local p
  for p in "${NVAD_APT_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
      printf '%s\n' "$p"
    fi
  done
}

# apt-get update + install of everything missing. Non-interactive; needs root.
# NVAD_APT_ALWAYS_UPDATE=1 runs apt-get update even when nothing is missing (CI does).
nvad_install_deps() {
  local missing
  missing=$(nvad_missing_packages | tr '\n' ' ')
  if [ "$(id -u)" != 0 ]; then
    if [ -n "${missing// /}" ]; then
      echo "deps: missing packages: $missing- run as root: bash scripts/deps.sh" >&2
      return 1
    fi
    return 0
  fi
  if [ -z "${missing// /}" ] && [ "${NVAD_APT_ALWAYS_UPDATE:-0}" != 1 ]; then
    echo "deps: all ${#NVAD_APT_PACKAGES[@]} packages already installed"
    return 0
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -q
  if [ -n "${missing// /}" ]; then
    echo "deps: installing: $missing"
    # shellcheck disable=SC2086  # word splitting of the package list is intended
    apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends $missing
  else
    echo "deps: all ${#NVAD_APT_PACKAGES[@]} packages already installed"
  fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  case "${1:-}" in
    --list) printf '%s\n' "${NVAD_APT_PACKAGES[@]}" ;;
    --missing) nvad_missing_packages ;;
    '') nvad_install_deps ;;
    *) echo "usage: bash scripts/deps.sh [--list|--missing]" >&2; exit 2 ;;
  esac
fi
