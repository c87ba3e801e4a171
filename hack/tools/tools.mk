# Makefile fragment: builds the real control-plane binaries that tilsyn's
# integration tests and benchmarks run against, from the Go module versions
# pinned in hack/tools/go.mod (no prebuilt downloads).
#
#   include hack/tools/tools.mk
#
# Provides:
#   TOOLS_BIN       output directory (default: $(CURDIR)/bin/tools)
#   KUBE_APISERVER  path of kube-apiserver  (k8s.io/kubernetes/cmd/kube-apiserver)
#   ETCD            path of etcd            (hack/tools/etcd -> go.etcd.io/etcd/server/v3/etcdmain)
#   KUBECTL         path of kubectl         (k8s.io/kubernetes/cmd/kubectl)
#   make tools        build whichever binary is missing or older than
#                     hack/tools/go.mod / go.sum; otherwise a no-op
#   make tools-smoke  start etcd + kube-apiserver on loopback, `kubectl get ns`, stop
#   make tools-clean  remove $(TOOLS_BIN)

# Directory of this fragment, whatever directory make runs in.
TOOLS_DIR := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))

TOOLS_BIN ?= $(CURDIR)/bin/tools
KUBE_APISERVER := $(TOOLS_BIN)/kube-apiserver
ETCD := $(TOOLS_BIN)/etcd
KUBECTL := $(TOOLS_BIN)/kubectl

TOOLS_GO ?= go

# Versions, read from the pins so they are stated in one place only.
TOOLS_K8S_VERSION := $(shell awk '$$1 == "k8s.io/kubernetes" { print $$2; exit }' $(TOOLS_DIR)/go.mod)
TOOLS_ETCD_VERSION := $(shell awk '$$1 == "go.etcd.io/etcd/server/v3" { print $$2; exit }' $(TOOLS_DIR)/go.mod)
TOOLS_K8S_MAJOR := $(patsubst v%,%,$(word 1,$(subst ., ,$(TOOLS_K8S_VERSION))))
TOOLS_K8S_MINOR := $(word 2,$(subst ., ,$(TOOLS_K8S_VERSION)))

# The same flags as upstream release builds (hack/lib/golang.sh): static,
# stripped, trimmed paths, no VCS stamp, and the version stamped in so that
# /version and `kubectl version` report the pinned release, not v0.0.0-master.
TOOLS_GOFLAGS := -trimpath -buildvcs=false -tags=selinux,notest,grpcnotrace
TOOLS_VERSION_PKGS := k8s.io/component-base/version k8s.io/client-go/pkg/version
TOOLS_LDFLAGS := -s -w $(foreach p,$(TOOLS_VERSION_PKGS), \
	-X $(p).gitVersion=$(TOOLS_K8S_VERSION) \
	-X $(p).gitMajor=$(TOOLS_K8S_MAJOR) \
	-X $(p).gitMinor=$(TOOLS_K8S_MINOR) \
	-X $(p).gitTreeState=clean)
TOOLS_BUILD = cd $(TOOLS_DIR) && CGO_ENABLED=0 $(TOOLS_GO) build $(TOOLS_GOFLAGS) -ldflags '$(strip $(TOOLS_LDFLAGS))'

TOOLS_DEPS := $(TOOLS_DIR)/go.mod $(TOOLS_DIR)/go.sum

.PHONY: tools tools-smoke tools-clean
tools: $(ETCD) $(KUBE_APISERVER) $(KUBECTL)

# `go build -o` leaves an up-to-date output untouched, so each recipe touches
# its binary: otherwise a changed go.mod that does not change the binary would
# make every later `make tools` run go build again.
$(KUBE_APISERVER): $(TOOLS_DEPS)
	@echo "building kube-apiserver from k8s.io/kubernetes $(TOOLS_K8S_VERSION) (first time takes a few minutes)"
	@mkdir -p $(@D)
	@$(TOOLS_BUILD) -o $@ k8s.io/kubernetes/cmd/kube-apiserver
	@touch $@

$(ETCD): $(TOOLS_DEPS) $(TOOLS_DIR)/etcd/main.go
	@echo "building etcd from go.etcd.io/etcd/server/v3 $(TOOLS_ETCD_VERSION) (first time takes a minute or two)"
	@mkdir -p $(@D)
	@$(TOOLS_BUILD) -o $@ ./etcd
	@touch $@

$(KUBECTL): $(TOOLS_DEPS)
	@echo "building kubectl from k8s.io/kubernetes $(TOOLS_K8S_VERSION) (first time takes a few minutes)"
	@mkdir -p $(@D)
	@$(TOOLS_BUILD) -o $@ k8s.io/kubernetes/cmd/kubectl
	@touch $@

tools-smoke: tools
	KUBE_APISERVER=$(KUBE_APISERVER) ETCD=$(ETCD) KUBECTL=$(KUBECTL) $(TOOLS_DIR)/smoke.sh

tools-clean:
	rm -rf $(TOOLS_BIN)
