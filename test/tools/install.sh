#!/usr/bin/env bash
# Installs everything the build, tests and local stack need, idempotently:
# Debian packages, then pinned Go tools into $(go env GOPATH)/bin.
# A tool already at its pinned version is skipped, so warm runs take seconds.
#
# Usage: test/tools/install.sh [all|run]   (run: only what `make run` needs)
set -euo pipefail

what=${1:-all}
gobin="$(go env GOPATH)/bin"
mkdir -p "$gobin"
export PATH="$gobin:$PATH"

log() { printf '[install] %s\n' "$*" >&2; }

apt_packages=(squashfs-tools squashfs-tools-ng awscli zip unzip)
[ "$what" = all ] && apt_packages+=(binutils file hyperfine)

sudo_cmd=""
[ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
need_update=false
# The arm64 layer is assembled from Debian's arm64 packages (downloaded, not
# installed), which apt lists only once the architecture is known.
if [ "$what" = all ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
	log "dpkg --add-architecture arm64"
	$sudo_cmd dpkg --add-architecture arm64
	need_update=true
fi
missing=()
for p in "${apt_packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ] || $need_update; then
	log "apt-get update"
	$sudo_cmd apt-get update -qq
fi
if [ ${#missing[@]} -gt 0 ]; then
	log "apt-get install ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# go_tool NAME MODULE/PATH VERSION: go install unless $gobin/NAME was built from VERSION.
go_tool() {
	local name=$1 pkg=$2 version=$3
	if [ -x "$gobin/$name" ] && go version -m "$gobin/$name" 2>/dev/null | grep -q "mod.*[[:space:]]$version[[:space:]]"; then
		return
	fi
	log "go install $pkg@$version"
	(cd / && GOFLAGS=-buildvcs=false GONOSUMDB='*' go install "$pkg@$version")
}

go_tool versitygw github.com/versity/versitygw/cmd/versitygw v1.8.0
