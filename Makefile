# awsboot — make help lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
GO      ?= go
BIN     := bin/awsboot
LDFLAGS := -X main.version=$(VERSION)

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*## "}{printf "  %-14s %s\n", $$1, $$2}'

.PHONY: build
build: ## build bin/awsboot
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/awsboot

.PHONY: check-moto
check-moto: ## check that the AWS emulator (moto) is installed
	@command -v moto_server >/dev/null 2>&1 || python3 -c 'import moto.server' 2>/dev/null || \
	  { echo "moto is needed for the integration tests and the demo: pip install 'moto[server]'"; exit 1; }

# The Versity S3 Gateway (Apache-2.0) is a real S3-compatible server that
# checks SigV4 and enforces IAM; it is built once into the user cache.
VERSITYGW_VERSION := v1.8.0
VERSITYGW := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/awsboot/versitygw-$(VERSITYGW_VERSION)/versitygw

.PHONY: versitygw
versitygw: ## install the Versity S3 Gateway the S3-compatible tests use (cached)
	@if [ -x "$(VERSITYGW)" ]; then echo "versitygw $(VERSITYGW_VERSION): $(VERSITYGW)"; else \
	  echo "installing versitygw $(VERSITYGW_VERSION) into $(dir $(VERSITYGW)) (once; a few minutes)"; \
	  GOBIN=$(dir $(VERSITYGW)) $(GO) install github.com/versity/versitygw/cmd/versitygw@$(VERSITYGW_VERSION) || \
	  echo "could not install versitygw: TestVersityGateway will be skipped, saying so"; fi

.PHONY: test
test: check-moto vet fmt-check versitygw ## run every test: unit, golden, CLI scripts, moto and Versity gateway integration tests, a bounded spec fuzz
	AWSBOOT_VERSITYGW=$(VERSITYGW) $(GO) test -count=1 -timeout 15m ./...
	AWSBOOT_SKIP_MOTO=1 $(GO) test -run '^$$' -fuzz FuzzParseSpec -fuzztime 15s ./provision/

.PHONY: demo
demo: build check-moto ## bootstrap examples/semaphore-cache.yaml end to end against a local emulator, then tear it down
	$(GO) run ./cmd/awsboot-demo -awsboot $(BIN)

.PHONY: bench
bench: check-moto ## run the benchmarks: Go benchmarks, then round trips and wall time per command (BENCH_REPS=1 for a quick run)
	$(GO) test -run '^$$' -bench . -benchmem ./...
	$(GO) run ./bench/roundtrips $(BENCH_FLAGS)

.PHONY: fuzz
fuzz: ## fuzz the spec loader and the file editors for a short while each
	$(GO) test -run '^$$' -fuzz FuzzParseSpec -fuzztime 30s ./provision/
	$(GO) test -run '^$$' -fuzz FuzzINIRoundTrip -fuzztime 30s ./provision/localfile/
	$(GO) test -run '^$$' -fuzz FuzzEnvVars -fuzztime 30s ./provision/localfile/
	$(GO) test -run '^$$' -fuzz FuzzProfileViewMatchesSDK -fuzztime 30s ./provision/consumers/

.PHONY: vet
vet: ## go vet
	$(GO) vet ./...

.PHONY: fmt
fmt: ## gofmt the tree
	gofmt -w $$(git ls-files '*.go')

.PHONY: fmt-check
fmt-check: ## fail if gofmt would change a file
	@out=$$(gofmt -l $$(git ls-files '*.go') $$(git ls-files --others --exclude-standard '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

.PHONY: update-golden
update-golden: ## rewrite the golden files from the current output
	UPDATE_GOLDEN=1 $(GO) test -count=1 ./...

.PHONY: clean
clean: ## remove build output
	rm -rf bin
