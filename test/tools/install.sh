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

apt_packages=(squashfs-tools squashfs-tools-ng xz-utils awscli zip unzip)
# qemu-user-static runs the arm64 image's bootstrap in the image tests.
[ "$what" = all ] && apt_packages+=(binutils file hyperfine qemu-user-static)
# The e2e suite's other S3 clients (python3-boto3: PyPI is out of reach), and
# curl for presigned URLs.
[ "$what" = all ] && apt_packages+=(python3-boto3 rclone s3cmd curl)

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

[ "$what" = all ] || exit 0

# Terraform and its linters, for the offline checks (test/terraform/check.sh
# skips what is already here).
go_tool terraform github.com/hashicorp/terraform v1.5.7
go_tool tflint github.com/terraform-linters/tflint v0.54.0
go_tool tfsec github.com/aquasecurity/tfsec/cmd/tfsec v1.28.14
# terraform-docs: `go install mod@version` asks the proxy for the module's
# version list (a deprecation check), which this proxy refuses; building it
# from a scratch module needs only the pinned version.
if ! { [ -x "$gobin/terraform-docs" ] && go version -m "$gobin/terraform-docs" 2>/dev/null | grep -q "mod.*[[:space:]]v0.20.0[[:space:]]"; }; then
	log "build github.com/terraform-docs/terraform-docs@v0.20.0"
	scratch=$(mktemp -d)
	(cd "$scratch" && go mod init tools.local/terraform-docs >/dev/null 2>&1 &&
		GONOSUMDB='*' GOFLAGS=-mod=mod go get github.com/terraform-docs/terraform-docs@v0.20.0 >/dev/null 2>&1 &&
		GOFLAGS=-buildvcs=false go build -o "$gobin/terraform-docs" github.com/terraform-docs/terraform-docs)
	rm -rf "$scratch"
fi
# The stand-in for hashicorp/aws (npm schema, generated provider) needs npm.
if ! command -v npm >/dev/null; then
	log "apt-get install nodejs npm"
	$sudo_cmd apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq nodejs npm >/dev/null
fi
bash "$(dirname "$0")/../terraform/standin/standin.sh" >/dev/null
