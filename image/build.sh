#!/usr/bin/env bash
# Build the function's OCI image without a container engine:
#   image/build.sh arm64|x86_64 LAYER.zip BOOTSTRAP CLI OUT_DIR
# (the Makefile's `make image ARCH=...` passes its own outputs).
#
# The base is libc6 and ca-certificates from Debian, fetched like the layer's
# packages (layer/debs.sh, same cache) and extracted, never installed;
# imagetool then takes from them only the glibc closure of bootstrap, the CLI
# and the layer's libraries, and writes an OCI layout to OUT_DIR.
# VERSION, REVISION and SOURCE_DATE_EPOCH become the labels and time stamps;
# IMAGETOOL is a prebuilt imagetool (the tests build it once), else go run.
set -euo pipefail

if [ $# != 5 ]; then
	echo "usage: $0 arm64|x86_64 LAYER.zip BOOTSTRAP CLI OUT_DIR" >&2
	exit 2
fi
arch=$1 layer_zip=$2 bootstrap=$3 cli=$4 out=$5
case "$arch" in
arm64) debarch=arm64 ;;
x86_64) debarch=amd64 ;;
*)
	echo "image: unknown architecture $arch (want arm64 or x86_64)" >&2
	exit 2
	;;
esac
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
cache=${S3ARCHIVEFS_LAYER_CACHE:-$(go env GOPATH)/s3archivefs-tools/layer-debs}/$debarch

# shellcheck source=layer/debs.sh
. "$repo/layer/debs.sh"
# Asking apt costs seconds; dpkg knows at once whether the arch was added.
if [ "$debarch" != "$(dpkg --print-architecture)" ] && ! dpkg --print-foreign-architectures | grep -qx "$debarch"; then
	ensure_arch_lists "$debarch" libc6
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
fetch_debs "$debarch" "$cache" "$stage" "libc6:$debarch" ca-certificates >&2

if [ -n "${IMAGETOOL:-}" ]; then
	tool=("$IMAGETOOL")
else
	tool=(go run -C "$repo" ./image/cmd/imagetool)
fi
abs() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac }
"${tool[@]}" build -arch "$arch" -debroot "$stage" -layer "$(abs "$layer_zip")" \
	-bootstrap "$(abs "$bootstrap")" -cli "$(abs "$cli")" \
	-version "${VERSION:?VERSION is required}" -revision "${REVISION:?REVISION is required}" \
	-created "${SOURCE_DATE_EPOCH:-0}" -o "$(abs "$out")"
