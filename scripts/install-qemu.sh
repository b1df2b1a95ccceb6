#!/usr/bin/env bash
# Install the QEMU targets for `smmu-conform run --target qemu`:
#   * Debian's qemu-system-arm (QEMU 7.2 on bookworm: SMMUv3 stage 1 only) with apt, system-wide;
#   * with --backports (or QEMU_BACKPORTS=1): QEMU 10.x from bookworm-backports, downloaded with
#     apt and unpacked with `dpkg -x` into .qemu/10 inside the project, without installing it
#     (the system keeps its own QEMU; nothing outside .qemu/ changes).
# Prints one line per installed binary: `qemu <version> <path>`. Needs root for apt-get install.
# Exit status: 0 when at least the system QEMU is present afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
root_dir=$(pwd)
want_backports=${QEMU_BACKPORTS:-0}
for a in "$@"; do
  case "$a" in
    --backports) want_backports=1 ;;
    *) echo "install-qemu.sh: unknown argument $a (expected --backports)" >&2; exit 2 ;;
  esac
done

if ! command -v qemu-system-aarch64 >/dev/null 2>&1; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-qemu.sh: apt-get not found; install qemu-system-aarch64 yourself" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends qemu-system-arm >/dev/null
fi
sys=$(command -v qemu-system-aarch64)
echo "qemu $("$sys" --version | sed -n 's/^QEMU emulator version \([0-9.]*\).*/\1/p') $sys"

if [ "$want_backports" = 1 ]; then
  dest="$root_dir/.qemu/10"
  bin="$dest/usr/bin/qemu-system-aarch64"
  if [ ! -x "$bin" ]; then
    . /etc/os-release
    if [ "${VERSION_CODENAME:-}" != bookworm ]; then
      echo "install-qemu.sh: QEMU 10 comes from bookworm-backports; this is ${VERSION_CODENAME:-unknown}, skipped" >&2
      exit 0
    fi
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    mkdir -p "$work/sources" "$work/lists/partial" "$work/archives/partial"
    cat > "$work/sources/backports.sources" <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    opts=(-o APT::Sandbox::User=root -o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$work/sources"
          -o Dir::State::Lists="$work/lists" -o Dir::Cache::Archives="$work/archives" -qq)
    apt-get "${opts[@]}" update
    ver=$(apt-cache "${opts[@]}" policy qemu-system-arm | sed -n 's/^ *Candidate: *//p')
    case "$ver" in
      1:10.*) ;;
      *) echo "install-qemu.sh: bookworm-backports offers qemu-system-arm '$ver', not 10.x; skipped" >&2; exit 0 ;;
    esac
    (cd "$work/archives" && apt-get "${opts[@]}" download "qemu-system-arm=$ver" "qemu-system-common=$ver" "qemu-system-data=$ver")
    mkdir -p "$dest"
    for deb in "$work"/archives/*.deb; do dpkg -x "$deb" "$dest"; done
  fi
  echo "qemu $("$bin" -L "$dest/usr/share/qemu" --version | sed -n 's/^QEMU emulator version \([0-9.]*\).*/\1/p') $bin"
fi
