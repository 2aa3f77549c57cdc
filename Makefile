# s3archivefs: the one entry point. `make help` lists the targets.
SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

GOBIN := $(shell go env GOPATH)/bin
export PATH := $(GOBIN):$(PATH)
export GOFLAGS := -buildvcs=false

ARCH ?= arm64
ENV ?= dev
DIST := dist
HOST_ARCH := $(shell go env GOARCH)
# Lambda says x86_64 where Go says amd64.
goarch = $(if $(filter x86_64 amd64,$(1)),amd64,arm64)

# Reproducible Go builds: no paths, no VCS stamps, no build id.
GO_BUILD := CGO_ENABLED=0 go build -trimpath -ldflags='-s -w -buildid='

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

.PHONY: tools
tools: ## install the pinned tools the tests need (idempotent)
	bash test/tools/install.sh all

.PHONY: build
build: ## compile and vet everything; the CLI and the host's bootstrap go to dist/
	go build ./...
	go vet ./...
	$(GO_BUILD) -o $(DIST)/s3archivefs ./function/cmd/s3archivefs
	$(GO_BUILD) -tags lambda.norpc -o $(DIST)/bootstrap ./function/cmd/bootstrap

# The function zip: bootstrap at its root, fixed time stamp and mode, so the
# same source gives the same bytes (and Terraform sees no change).
$(DIST)/function-%.zip: FORCE
	@mkdir -p $(DIST)/bootstrap-$*
	GOOS=linux GOARCH=$(call goarch,$*) $(GO_BUILD) -tags lambda.norpc -o $(DIST)/bootstrap-$*/bootstrap ./function/cmd/bootstrap
	chmod 0755 $(DIST)/bootstrap-$*/bootstrap
	touch -d '2000-01-01 00:00:00 UTC' $(DIST)/bootstrap-$*/bootstrap
	rm -f $@ && cd $(DIST)/bootstrap-$* && TZ=UTC zip -q -X -D ../function-$*.zip bootstrap
	@sha256sum $@

$(DIST)/layer-%.zip: FORCE
	bash layer/build.sh $* $@
	@sha256sum $@

.PHONY: package
package: $(DIST)/function-arm64.zip $(DIST)/function-x86_64.zip $(DIST)/layer-arm64.zip $(DIST)/layer-x86_64.zip ## deterministic function and layer zips for arm64 and x86_64

.PHONY: layer
layer: $(DIST)/layer-$(ARCH).zip ## the libsquashfs layer zip for ARCH=arm64|x86_64

# The image labels and time stamps: the commit, never the build's clock.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)

$(DIST)/s3archivefs-%: FORCE
	GOOS=linux GOARCH=$(call goarch,$*) $(GO_BUILD) -o $@ ./function/cmd/s3archivefs

.PHONY: image image-push
image: $(DIST)/function-$(ARCH).zip $(DIST)/layer-$(ARCH).zip $(DIST)/s3archivefs-$(ARCH) ## OCI image layout dist/image-ARCH: bootstrap, CLI, /opt/lib from the layer zip (no Docker)
	VERSION='$(VERSION)' REVISION='$(REVISION)' SOURCE_DATE_EPOCH='$(SOURCE_DATE_EPOCH)' \
		bash image/build.sh $(ARCH) $(DIST)/layer-$(ARCH).zip $(DIST)/bootstrap-$(ARCH)/bootstrap $(DIST)/s3archivefs-$(ARCH) $(DIST)/image-$(ARCH)

# ECR_REPO=<account>.dkr.ecr.<region>.amazonaws.com/<name>; the tag is
# VERSION-ARCH (ECR's immutable tags refuse a second push of a tag).
image-push: ## push dist/image-ARCH to ECR_REPO as VERSION-ARCH (AWS credentials; skips without them)
	@if ! aws sts get-caller-identity >/dev/null 2>&1; then \
		echo "image-push: skipped: no usable AWS credentials (aws sts get-caller-identity failed)"; exit 0; fi; \
	test -n "$(ECR_REPO)" || { echo "image-push: set ECR_REPO=<account>.dkr.ecr.<region>.amazonaws.com/<name>"; exit 1; }; \
	$(MAKE) --no-print-directory image ARCH=$(ARCH); \
	aws ecr get-login-password --region "$$(echo '$(ECR_REPO)' | cut -d. -f4)" | \
		go run ./image/cmd/imagetool push -layout $(DIST)/image-$(ARCH) -ref $(ECR_REPO):$(VERSION)-$(ARCH)

.PHONY: run
run: ## local S3 + a front (FRONT=object-lambda|function-url|serve) with a demo archive (ARCHIVE=dir|.sqfs PREFIX=name/)
	bash test/tools/install.sh run
	$(GO_BUILD) -tags lambda.norpc -o $(DIST)/bootstrap ./function/cmd/bootstrap
	$(if $(filter serve,$(FRONT)),$(GO_BUILD) -o $(DIST)/s3archivefs ./function/cmd/s3archivefs)
	go run ./test/run -bootstrap $(DIST)/bootstrap -cli $(DIST)/s3archivefs $(if $(FRONT),-front $(FRONT))

.PHONY: test
test: tools ## everything CI runs: Terraform checks, the quick bench, then every Go test
	bash test/terraform/check.sh
	$(MAKE) --no-print-directory bench-quick
	go vet ./... && go vet -tags aws ./test/...
	S3ARCHIVEFS_REQUIRE_TOOLS=1 S3ARCHIVEFS_REQUIRE_TF=1 go test -json -count=1 -timeout 30m ./... | go run ./test/tools/testsummary

.PHONY: tf-check
tf-check: ## offline terraform fmt, validate, plan, tflint, tfsec and docs checks
	bash test/terraform/check.sh

.PHONY: bench
bench: ## full benchmarks; regenerates docs/benchmarks.md and its chart (11 min cached; the first run also builds the workloads, about 40 min)
	go run ./test/bench -out docs/benchmarks.md -chart docs/benchmarks-s3-bytes.svg $(BENCH_ARGS)

.PHONY: bench-quick
bench-quick: ## the same tables on small inputs (about a minute)
	go run ./test/bench -quick

.PHONY: fuzz
fuzz: ## run every fuzz target for FUZZTIME each (default 30s)
	@for pkg in $$(go list ./...); do \
		for f in $$(go test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
			echo "== $$pkg $$f"; go test -run '^$$' -fuzz "^$$f$$" -fuzztime $${FUZZTIME:-30s} $$pkg; \
		done; \
	done

.PHONY: lint
lint: ## gofmt, go vet and terraform fmt
	@test -z "$$(gofmt -l function test layer image)" || { gofmt -l function test layer image; exit 1; }
	go vet ./...
	terraform fmt -check -recursive terraform

.PHONY: fmt
fmt: ## format Go and Terraform sources
	gofmt -w function test layer image
	terraform fmt -recursive terraform

# Real deployments (AWS credentials required). Each environment keeps its
# backend settings in terraform/environments/$(ENV)/backend.hcl (copy
# backend.hcl.example); the zips are hashed when Terraform reads the
# configuration, so every step needs them built.
TF := terraform -chdir=terraform/environments/$(ENV)

.PHONY: tf-init plan apply destroy
tf-init: package
	@test -f terraform/environments/$(ENV)/backend.hcl || { echo "terraform/environments/$(ENV)/backend.hcl is missing: copy backend.hcl.example and fill it in"; exit 1; }
	$(TF) init -input=false -backend-config=backend.hcl

plan: tf-init ## terraform plan ENV=dev|prod into plan.tfplan (AWS credentials, backend.hcl)
	$(TF) plan -input=false -out=plan.tfplan

apply: ## terraform apply ENV=dev|prod of the saved plan.tfplan
	$(TF) apply -input=false plan.tfplan

destroy: tf-init ## terraform destroy ENV=dev|prod
	$(TF) destroy -input=false

.PHONY: clean
clean: ## remove build outputs
	rm -rf $(DIST)

.PHONY: FORCE
FORCE:
