#!/usr/bin/env bash
# Builds scaleout/example:latest, the image the docker driver's tests and examples launch.
#
# No image registry is reachable, so there is no base image to `docker build` FROM: the image is a
# `docker import` of a tarball holding the host's node binary, the shared libraries ldd lists for it, the
# dynamic loader, and examples/app as /app. Containers run with host networking, so nothing else is needed.
#
# Idempotent: the image carries a label with a hash of its inputs (node binary, app files), and the script
# does nothing when an image with the same hash exists. --force rebuilds anyway.
#
# Usage: scripts/build-example-image.sh [--force] [--tag name:tag]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
app_dir="$root/examples/app"
tag="scaleout/example:latest"
force=0
while [ $# -gt 0 ]; do
  case "$1" in
    --force) force=1 ;;
    --tag) tag="${2:?--tag needs a value}"; shift ;;
    *) echo "usage: $0 [--force] [--tag name:tag]" >&2; exit 2 ;;
  esac
  shift
done

command -v docker >/dev/null || { echo "build-example-image: the docker CLI is not on PATH" >&2; exit 1; }
node_path="$(command -v node)" || { echo "build-example-image: node is not on PATH" >&2; exit 1; }
node_bin="$(readlink -f "$node_path")"

# Input hash: the node binary's identity (path, size, mtime; hashing ~100 MB each run would be slow) and
# the app's contents.
inputs_hash="$(
  {
    stat -c '%n %s %Y' "$node_bin"
    (cd "$app_dir" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
  } | sha256sum | cut -c1-16
)"

current_hash() {
  docker image inspect --format '{{ index .Config.Labels "scaleout.example.inputs" }}' "$tag" 2>/dev/null || true
}

# Test files run in parallel processes; one import at a time, and a waiter finds the finished image.
lock_dir="${XDG_RUNTIME_DIR:-/tmp}"
exec 9>"$lock_dir/scaleout-build-example-image.lock"
flock 9

if [ "$force" -eq 0 ] && [ "$(current_hash)" = "$inputs_hash" ]; then
  exit 0
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/scaleout-example-image.XXXXXX")"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
mkdir -p "$rootfs/usr/bin" "$rootfs/app" "$rootfs/tmp"
chmod 1777 "$rootfs/tmp"

cp "$node_bin" "$rootfs/usr/bin/node"
# Every absolute path ldd prints: libraries after "=>", and the loader alone on its line (linux-vdso has
# no path and lives in the kernel). cp -L stores each at the path the binary asks for, as a real file,
# whatever symlinks (merged /usr, /lib64) lead there on the host.
ldd "$node_bin" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }' | sort -u | while read -r lib; do
  mkdir -p "$rootfs$(dirname "$lib")"
  cp -L "$lib" "$rootfs$lib"
done
cp -R "$app_dir/." "$rootfs/app/"

tar -C "$rootfs" --numeric-owner --owner=0 --group=0 -cf - . |
  docker import \
    --change 'CMD ["/usr/bin/node", "/app/server.js"]' \
    --change 'WORKDIR /app' \
    --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
    --change "LABEL scaleout.example.inputs=$inputs_hash" \
    --message "scaleout example app (node $("$node_bin" --version))" \
    - "$tag" >/dev/null
echo "build-example-image: built $tag ($inputs_hash)" >&2
