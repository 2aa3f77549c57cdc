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
mkdir -p "$cache"

# The package lists for a foreign architecture exist only once dpkg knows it.
if ! apt-cache show "libsquashfs1:$debarch" >/dev/null 2>&1; then
	if [ "$(id -u)" != 0 ]; then
		echo "layer: apt has no libsquashfs1:$debarch; run as root once, or:" >&2
		echo "  sudo dpkg --add-architecture $debarch && sudo apt-get update" >&2
		exit 1
	fi
	if [ "$debarch" != "$(dpkg --print-architecture)" ]; then
		dpkg --add-architecture "$debarch"
	fi
	apt-get update -qq
fi

# The closure of hard dependencies, from Debian's metadata; which of these the
# layer really ships is decided later from the ELF files themselves.
mapfile -t pkgs < <(apt-cache depends --recurse --no-recommends --no-suggests \
	--no-conflicts --no-breaks --no-replaces --no-enhances "libsquashfs1:$debarch" |
	grep -E '^[a-z0-9]' | sed "s/:$debarch\$//" | sort -u)

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/uris" "$stage/root"
# One apt call for all: each apt start costs about a second.
# Lines: 'URL' FILE SIZE SHA256:HEX, from the local lists (no network). Asked
# in an empty directory: apt prints nothing for a file already in the cwd.
mapfile -t uris < <(cd "$stage/uris" && apt-get download --print-uris "${pkgs[@]/%/:$debarch}")
if [ "${#uris[@]}" != "${#pkgs[@]}" ]; then
	echo "layer: apt printed ${#uris[@]} download URIs for ${#pkgs[@]} packages" >&2
	exit 1
fi
for line in "${uris[@]}"; do
	read -r _ file _ sum <<<"$line"
	sum=${sum#SHA256:}
	if ! [ -f "$cache/$file" ] || [ "$(sha256sum <"$cache/$file" | cut -d' ' -f1)" != "$sum" ]; then
		rm -f "$cache/$file"
		(cd "$cache" && apt-get download -q -o APT::Sandbox::User="$(id -un)" "${file%%_*}:$debarch" >&2)
		if [ "$(sha256sum <"$cache/$file" | cut -d' ' -f1)" != "$sum" ]; then
			echo "layer: $file does not match its SHA256 in the apt lists" >&2
			exit 1
		fi
	fi
	echo "deb	$file	sha256:$sum"
	dpkg-deb -x "$cache/$file" "$stage/root"
done

# LAYERTOOL: a prebuilt layertool (the tests build it once); else go run.
cd "$repo"
if [ -n "${LAYERTOOL:-}" ]; then
	tool=("$LAYERTOOL")
else
	tool=(go run ./layer/cmd/layertool)
fi
"${tool[@]}" build -arch "$arch" -root "$stage/root" -base "$here/al2023-base-libs.txt" -o "$out"
