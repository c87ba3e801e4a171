# tilsyn — GDPR and Schrems II audit evidence for Kubernetes clusters running Istio.
# Run `make help` for the targets.

GO      ?= go
BIN     := bin/tilsyn
PKG     := github.com/tilsyn/tilsyn
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X $(PKG)/internal/version.Version=$(VERSION)

# Real etcd, kube-apiserver and kubectl built from pinned module versions.
include hack/tools/tools.mk

.DEFAULT_GOAL := help
.PHONY: help build demo pdf-preview pdftools test lint golden bench bench-live bench-agent bench-webhook wrk clean

# pdftotext and pdftoppm (Debian poppler-utils) read the PDF report in tests.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build bin/tilsyn and bin/tilsyn-node-agent
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/tilsyn
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/tilsyn-node-agent ./cmd/tilsyn-node-agent

demo: build ## audit the bundled sample cluster; evidence in out/
	@$(BIN) audit -f testdata/examples/nordic-fintech --profile testdata/profiles/nordic-fintech.yaml \
		--waivers testdata/waivers/nordic-fintech.yaml --out out --force; rc=$$?; \
	if [ $$rc -eq 2 ]; then exit 2; fi; \
	echo "(tilsyn exited $$rc: the nordic-fintech sample is non-compliant on purpose)"

pdf-preview: build pdftools ## render the demo PDF's first pages and its evidence tables to PNG in out/preview/
	@$(BIN) audit -f testdata/examples/nordic-fintech --profile testdata/profiles/nordic-fintech.yaml \
		--waivers testdata/waivers/nordic-fintech.yaml --out out --force --format json,pdf -q; rc=$$?; \
	if [ $$rc -eq 2 ]; then exit 2; fi
	@rm -rf out/preview && mkdir -p out/preview
	pdftoppm -r 80 -png -f 1 -l 8 out/tilsyn-report.pdf out/preview/page
	@ev=$$(pdftotext -layout out/tilsyn-report.pdf - | awk -v RS='\f' '/\n4 +Evidence tables *\n/ {print NR; exit}'); \
	test -n "$$ev" || { echo "pdf-preview: no evidence tables section in out/tilsyn-report.pdf"; exit 1; }; \
	echo "pdftoppm -r 80 -png -f $$ev out/tilsyn-report.pdf out/preview/page"; \
	pdftoppm -r 80 -png -f $$ev out/tilsyn-report.pdf out/preview/page
	@ls out/preview/*.png

pdftools: ## install pdftotext and pdftoppm (poppler-utils) when missing
	@command -v pdftotext >/dev/null && command -v pdftoppm >/dev/null || \
	{ $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq poppler-utils >/dev/null; }

test: lint tools pdftools ## everything: format, vet, unit, Rego, golden and real-apiserver tests
	KUBE_APISERVER=$(KUBE_APISERVER) ETCD=$(ETCD) KUBECTL=$(KUBECTL) $(GO) test -count=1 ./...

lint: ## gofmt and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

golden: ## rewrite golden files after an intended change
	$(GO) test ./internal/cli/ -run Golden -update

bench: ## pipeline (1x, 2x, 4x the 70,000-object cluster), PDF and signing benchmarks
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 3x ./internal/bench/

bench-live: build tools ## tilsyn collect vs kubectl get on a real API server holding 20,000 objects
	KUBE_APISERVER=$(KUBE_APISERVER) ETCD=$(ETCD) KUBECTL=$(KUBECTL) $(GO) run ./hack/benchlive -tilsyn $(BIN) -objects 20000 -runs 3

bench-agent: build tools ## the node agent's memory and CPU per cycle on a real API server (and tilsyn node-agent's, for comparison)
	KUBE_APISERVER=$(KUBE_APISERVER) ETCD=$(ETCD) $(GO) run ./hack/benchagent -agent bin/tilsyn-node-agent -tilsyn $(BIN)

# OPA's own server, from the OPA version tilsyn's go.mod pins (hack/opa is a
# build-only module that must pin the same one).
OPA := bin/opa
OPA_VERSION := $(shell awk '$$1 == "github.com/open-policy-agent/opa" { print $$2; exit }' go.mod)
OPA_PIN := $(shell awk '$$1 == "require" && $$2 == "github.com/open-policy-agent/opa" { print $$3; exit }' hack/opa/go.mod)

$(OPA): go.mod hack/opa/go.mod hack/opa/go.sum
	@if [ "$(OPA_VERSION)" != "$(OPA_PIN)" ]; then echo "hack/opa/go.mod pins OPA $(OPA_PIN), go.mod $(OPA_VERSION): make them agree"; exit 1; fi
	@echo "building opa $(OPA_VERSION) (first time takes a minute)"
	@cd hack/opa && CGO_ENABLED=0 $(GO) build -trimpath -o ../../$(OPA) github.com/open-policy-agent/opa
	@touch $@

wrk: ## install wrk (Debian's package) when missing, for make bench-webhook
	@command -v wrk >/dev/null || \
	{ $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq wrk >/dev/null; }

bench-webhook: build tools $(OPA) wrk ## the webhook against OPA's server: latency at 1,000 reviews/s and throughput at 64 connections, 10,000 objects
	KUBE_APISERVER=$(KUBE_APISERVER) ETCD=$(ETCD) $(GO) run ./hack/benchwebhook -tilsyn $(BIN) -opa $(OPA) -objects 10000 -rate 1000 -conns 64 -cold

clean: ## remove build output and evidence
	rm -rf bin out
