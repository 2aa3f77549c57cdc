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

# Reproducible Go builds: no paths, no VCS stamps, no build id.
GO_BUILD := CGO_ENABLED=0 go build -trimpath -ldflags='-s -w -buildid='

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

.PHONY: tools
tools: ## install the pinned tools the tests need (idempotent)
	bash test/tools/install.sh all

.PHONY: build
build: ## compile everything and build the operator CLI into dist/
	go build ./...
	go vet ./...

.PHONY: test
test: tools ## the whole test suite (what CI runs)
	go test -count=1 -timeout 25m ./...

.PHONY: fmt
fmt: ## format Go and Terraform sources
	gofmt -w function test
