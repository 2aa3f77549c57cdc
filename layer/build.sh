#!/usr/bin/env bash
# Build the libsquashfs Lambda layer without Docker:
#   layer/build.sh arm64|x86_64 [OUT.zip]     (default OUT: dist/layer-<arch>.zip)
#
# libsquashfs1 and its Debian dependency closure are fetched with
# `apt-get download` into a cache outside the repository
# ($S3ARCHIVEFS_LAYER_CACHE, default $(go env GOPATH)/s3archivefs-tools/layer-debs),
# so rebuilds are offline once the .debs are there. The packages are extracted
# with `dpkg-deb -x`; layertool then walks the ELF DT_NEEDED graph from
# libsquashfs.so.1, keeps what provided.al2023 does not provide
# (layer/al2023-base-libs.txt), writes a deterministic zip and checks it.
# A foreign architecture (arm64 on x86_64) needs `dpkg --add-architecture` and
# `apt-get update` once; the script does that when run as root.
set -euo pipefail

arch=${1:-}
case "$arch" in
arm64) debarch=arm64 ;;
x86_64) debarch=amd64 ;;
*)
	echo "usage: $0 arm64|x86_64 [OUT.zip]" >&2
	exit 2
	;;
esac
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
out=${2:-$repo/dist/layer-$arch.zip}
case "$out" in /*) ;; *) out=$PWD/$out ;; esac
cache=${S3ARCHIVEFS_LAYER_CACHE:-$(go env GOPATH)/s3archivefs-tools/layer-debs}/$debarch

# shellcheck source=layer/debs.sh
. "$here/debs.sh"
ensure_arch_lists "$debarch" libsquashfs1

# The closure of hard dependencies, from Debian's metadata; which of these the
# layer really ships is decided later from the ELF files themselves.
mapfile -t pkgs < <(apt-cache depends --recurse --no-recommends --no-suggests \
	--no-conflicts --no-breaks --no-replaces --no-enhances "libsquashfs1:$debarch" |
	grep -E '^[a-z0-9]' | sed "s/:$debarch\$//" | sort -u)

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/root"
fetch_debs "$debarch" "$cache" "$stage/root" "${pkgs[@]/%/:$debarch}"

# LAYERTOOL: a prebuilt layertool (the tests build it once); else go run.
cd "$repo"
if [ -n "${LAYERTOOL:-}" ]; then
	tool=("$LAYERTOOL")
else
	tool=(go run ./layer/cmd/layertool)
fi
"${tool[@]}" build -arch "$arch" -root "$stage/root" -base "$here/al2023-base-libs.txt" -o "$out"
