#!/usr/bin/env bash
# Offline checks of terraform/ (what `make tf-check` runs):
#   tools      terraform 1.5.7, tflint, tfsec, terraform-docs (go install,
#              skipped when the pinned version is there) and the stand-in
#              for hashicorp/aws (test/terraform/standin/standin.sh)
#   lock files no .terraform.lock.hcl written into the repository (the
#              stand-in's checksums are not the real provider's)
#   fmt        terraform fmt -check -recursive
#   <root>     init (offline, stand-in) + validate + plan, for every
#              environment and every module example, in a scratch copy
#   tflint     the bundled terraform ruleset, terraform/.tflint.hcl
#   tfsec      fails on HIGH or CRITICAL findings
#   docs       terraform-docs regenerated into the scratch copy, diffed
# Nothing is written into the repository. dist/*.zip are used when built
# (`make package`), else small stand-in zips are made in the scratch copy.
# Prints one line per step and the total time; exits non-zero if any failed.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
gobin="$(go env GOPATH)/bin"
export PATH="$gobin:$PATH" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
logs="$scratch/logs"
mkdir -p "$logs"

total_start=$(date +%s.%N)
failed=()
summary=()

# step NAME COMMAND...: runs COMMAND, logging to a file shown on failure.
step() {
	local name=$1 start rc log
	shift
	log="$logs/$(printf '%s' "$name" | tr '/ ' '__').log"
	start=$(date +%s.%N)
	"$@" >"$log" 2>&1
	rc=$?
	local took
	took=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
	if [ $rc -eq 0 ]; then
		summary+=("$(printf '  ok    %-44s %6ss' "$name" "$took")")
	else
		summary+=("$(printf '  FAIL  %-44s %6ss' "$name" "$took")")
		failed+=("$name")
		printf '\n==== %s failed (exit %d) ====\n' "$name" "$rc"
		tail -n 80 "$log"
	fi
	return $rc
}

go_tool() {
	local name=$1 pkg=$2 version=$3
	if [ -x "$gobin/$name" ] && go version -m "$gobin/$name" 2>/dev/null | grep -q "mod.*[[:space:]]$version[[:space:]]"; then
		return 0
	fi
	echo "go install $pkg@$version"
	(cd / && GOFLAGS=-buildvcs=false GONOSUMDB='*' go install "$pkg@$version")
}

tools() {
	go_tool terraform github.com/hashicorp/terraform v1.5.7 &&
		go_tool tflint github.com/terraform-linters/tflint v0.54.0 &&
		go_tool tfsec github.com/aquasecurity/tfsec/cmd/tfsec v1.28.14 &&
		go_tool terraform-docs github.com/terraform-docs/terraform-docs v0.20.0
}

standin() {
	"$repo/test/terraform/standin/standin.sh" >"$scratch/terraformrc.path"
}

# copy makes the scratch tree: terraform/ without state or lock files, and
# dist/ with the built zips or stand-ins.
copy() {
	mkdir -p "$scratch/tree/dist" &&
		(cd "$repo" && tar --exclude=.terraform --exclude=.terraform.lock.hcl --exclude='*.tfstate*' -cf - terraform) |
		(cd "$scratch/tree" && tar -xf -) || return 1
	local arch kind
	for arch in arm64 x86_64; do
		for kind in function layer; do
			if [ -f "$repo/dist/$kind-$arch.zip" ]; then
				cp "$repo/dist/$kind-$arch.zip" "$scratch/tree/dist/"
			else
				(cd "$scratch" && printf 'stand-in %s\n' "$kind" >bootstrap && zip -q -X "tree/dist/$kind-$arch.zip" bootstrap) || return 1
			fi
		done
	done
}

# root DIR: init, validate and plan one root module against the stand-in.
root() {
	local dir=$1
	if grep -qs 'backend "' "$dir"/*.tf; then
		printf 'terraform {\n  backend "local" {}\n}\n' >"$dir/zz_standin_backend_override.tf"
	fi
	(cd "$dir" &&
		terraform init -input=false -no-color &&
		terraform validate -no-color &&
		terraform plan -input=false -no-color -lock=false -out="$scratch/plan.bin")
}

tflint_check() {
	(cd "$scratch/tree/terraform" && tflint --recursive --config "$PWD/.tflint.hcl" --no-color)
}

tfsec_check() {
	tfsec "$scratch/tree/terraform" --minimum-severity HIGH --no-color --exclude-downloaded-modules
}

docs_check() {
	local rc=0 m
	for m in "$scratch"/tree/terraform/modules/*/; do
		grep -qs BEGIN_TF_DOCS "$m/README.md" || { echo "$m: README.md without terraform-docs markers"; rc=1; continue; }
		terraform-docs -c "$scratch/tree/terraform/.terraform-docs.yml" "$m" >/dev/null || { rc=1; continue; }
		diff -u "$repo/terraform/modules/$(basename "$m")/README.md" "$m/README.md" || {
			echo "terraform/modules/$(basename "$m")/README.md is stale: run terraform-docs -c terraform/.terraform-docs.yml terraform/modules/$(basename "$m")"
			rc=1
		}
	done
	return $rc
}

# lock_files: the lock files in terraform/ (committed ones from real inits).
lock_files() { (cd "$repo" && find terraform -name .terraform.lock.hcl | sort); }
locks_before=$(lock_files)
lock_check() {
	local after
	after=$(lock_files)
	[ "$after" = "$locks_before" ] || { echo "lock files written into the tree:"; diff <(echo "$locks_before") <(echo "$after"); return 1; }
}

if step tools tools && step standin standin; then
	export TF_CLI_CONFIG_FILE
	TF_CLI_CONFIG_FILE=$(cat "$scratch/terraformrc.path")
	step fmt terraform fmt -check -recursive -diff -no-color "$repo/terraform"
	if step copy copy; then
		for dir in "$scratch"/tree/terraform/environments/*/ "$scratch"/tree/terraform/modules/*/examples/*/; do
			[ -d "$dir" ] || continue
			rel=${dir#"$scratch/tree/terraform/"}
			step "${rel%/}" root "$dir"
		done
		step tflint tflint_check
		step tfsec tfsec_check
		step terraform-docs docs_check
	fi
fi
step "lock files" lock_check

printf '\ntf-check summary\n'
printf '%s\n' "${summary[@]}"
awk -v s="$total_start" -v e="$(date +%s.%N)" 'BEGIN { printf "  total %.1fs\n", e - s }'
if [ ${#failed[@]} -gt 0 ]; then
	printf 'FAILED: %s\n' "${failed[*]}"
	exit 1
fi
echo "all terraform checks passed"
