# Roster — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
GO    ?= go
BIN   := bin/roster
PKGS  := ./...
export CGO_ENABLED ?= 0

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}'

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

static/vendor/htmx.min.js static/vendor/bulma.min.css: node_modules/.installed
	@mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
	cp node_modules/bulma/css/bulma.min.css static/vendor/bulma.min.css

assets: static/vendor/htmx.min.js static/vendor/bulma.min.css ## Install npm packages and copy htmx and Bulma into static/vendor

generate: ## Generate templ components (*_templ.go, committed)
	$(GO) tool templ generate -path views

check-generated: ## Fail when the *_templ.go on disk differ from what their .templ sources generate
	@before=$$(cat views/*_templ.go | sha256sum); \
	$(GO) tool templ generate -path views >/dev/null 2>&1 || { echo "templ generate failed"; exit 1; }; \
	after=$$(cat views/*_templ.go | sha256sum); \
	if [ "$$before" != "$$after" ]; then echo "templ output was stale (now regenerated): commit views/*_templ.go"; exit 1; fi

build: assets generate ## Build bin/roster
	$(GO) build -trimpath -o $(BIN) ./cmd/roster

run: build ## Build and start Roster on SQLite with the Personio sandbox (http://localhost:8080)
	ROSTER_ENV=$${ROSTER_ENV:-dev} ./$(BIN) serve

chromium: ## Install Debian's chromium for the browser tests when missing (needs root)
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing chromium for the browser tests"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || echo "chromium could not be installed: browser tests will be skipped (or fail when CI=true)"; \
	else echo "chromium not found and cannot be installed here: browser tests will be skipped"; fi

vet: ## go vet
	$(GO) vet $(PKGS)

lint: ## golangci-lint (errcheck, gosec, staticcheck, govet, ineffassign, unused, gofmt; .golangci.yml), pinned as a go tool
	$(GO) tool golangci-lint run ./...

test: assets check-generated vet lint chromium ## Run every test: SQLite, PostgreSQL, browser, brief fuzzing
	$(GO) test -count=1 -timeout 20m $(PKGS)
	$(MAKE) --no-print-directory fuzz FUZZTIME=$${FUZZTIME:-5s}

FUZZTIME ?= 5s
fuzz: ## Run each fuzz target for FUZZTIME (default 5s)
	@set -e; for spec in $$(grep -rl --include='*_test.go' '^func Fuzz' internal web cmd 2>/dev/null | xargs -r grep -ho '^func Fuzz[A-Za-z0-9_]*' | sort -u | sed 's/func //'); do \
		pkg=$$(grep -rl --include='*_test.go' "^func $$spec(" internal web cmd | head -1 | xargs dirname); \
		echo "fuzz $$spec in ./$$pkg for $(FUZZTIME)"; \
		out=$$(mktemp); if ! $(GO) test -run='^$$' -fuzz="^$$spec$$" -fuzztime=$(FUZZTIME) ./$$pkg >$$out 2>&1; then cat $$out; rm -f $$out; exit 1; fi; rm -f $$out; \
	done

soak: assets ## Long reliability runs (minutes): fault matrix and bad data at 2,000 employees over several seeds, 20 SIGKILLs during full syncs and during outbox pushes, then each fuzz target for FUZZTIME (default 2m)
	ROSTER_SOAK=1 $(GO) test -count=1 -v -run 'Fault|BadData' -timeout 60m ./internal/hrsync/
	ROSTER_SOAK=1 $(GO) test -count=1 -v -run 'TestCrashRecovery' -timeout 30m ./cmd/roster/
	$(MAKE) --no-print-directory fuzz FUZZTIME=$${FUZZTIME:-2m}

bench: assets ## Measure the sync and the pages on SQLite and PostgreSQL; prints a table and writes bench/results.md
	$(GO) run ./cmd/roster bench --out bench/results.md

clean: ## Remove build output
	rm -rf bin static/vendor node_modules/.installed

.PHONY: help assets generate check-generated build run chromium vet lint test fuzz soak bench clean
