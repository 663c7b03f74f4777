# alertsim: `make demo` replays the scenario library, `make test` runs the
# tests. Everything else here is optional.

GO      ?= go
BUILD   := build
RUNNER  := $(BUILD)/scenarios.test

.PHONY: all test tools demo replay report golden gate explore lint-ci fuzz ingest vet runner clean fidelity fidelity-tools

all: test

## test: vet, format check, the CI workflow checked by actionlint, every
## test with the race detector; the release gate (library and matrix) twice
## in one process on one CPU, in a shuffled order each time; explore's
## planted defects found and shrunk, and a smoke of 400 explored worlds;
## then the full-size loopback load test; then the example module that uses
## fakesmtp, netem and golden from outside (examples/consumer); JUnit XML in
## build/
test: tools vet lint-ci
	@mkdir -p $(BUILD)
	$(GO) tool gotestsum --format pkgname --junitfile $(BUILD)/junit.xml -- -race ./...
	GOMAXPROCS=1 $(GO) tool gotestsum --format pkgname --junitfile $(BUILD)/junit-determinism.xml -- -count=2 -shuffle=on -run '^TestGate$$' ./scenarios -gate
	$(GO) tool gotestsum --format pkgname --junitfile $(BUILD)/junit-planted.xml -- -count=1 -run '^(TestPlantedDefectsAreFound|TestShippedFirmwareHasNoDefectOfTheseKinds)$$' ./explore -planted
	@$(MAKE) --no-print-directory explore N=400 SEED=1 SHARD=1/1
	$(GO) tool gotestsum --format pkgname --junitfile $(BUILD)/junit-load.xml -- -count=1 -run '^(TestLoopbackLoad|TestServeMemoryBounded)$$' ./fakesmtp ./cmd/alertsim
	cd examples/consumer && $(GO) test -race -count=1 ./...

# Real peers the tests talk to, from Debian's packages, installed when
# missing: swaks and msmtp (SMTP clients), aiosmtpd (an SMTP server, for
# Debian's own python3), dig (a DNS client, for serve -scenario's DNS),
# tshark (which reads the packet captures back) and Chromium (the bench
# page's browser tests; about a minute to install).
tools:
	@missing=""; \
	command -v swaks >/dev/null || missing="$$missing swaks"; \
	command -v msmtp >/dev/null || missing="$$missing msmtp"; \
	command -v dig >/dev/null || missing="$$missing bind9-dnsutils"; \
	command -v curl >/dev/null || missing="$$missing curl"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null || missing="$$missing python3-aiosmtpd"; \
	command -v tshark >/dev/null || missing="$$missing tshark"; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing"; \
		if [ "$$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi; \
		$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing >/dev/null \
		|| { echo "could not install$$missing: install it (apt-get install$$missing) and run make test again"; exit 1; }; \
	fi

## fidelity: the kernel reference rig (Linux and root; elsewhere it says so
## and skips): each experiment on this machine's own TCP, in network
## namespaces it makes and removes, and on netem, side by side in one
## table; fails when a row is off by more than 5% or 50 ms. Under 2 minutes.
fidelity: fidelity-tools
	$(GO) test -count=1 -timeout 5m -v -run '^TestFidelity$$' ./netem/fidelity -fidelity

# What the rig runs: ip and tc (iproute2) and iptables, from Debian's
# packages, installed when missing and when we may.
fidelity-tools:
	@if [ "$$(uname -s)" != Linux ] || [ "$$(id -u)" != 0 ]; then exit 0; fi; \
	missing=""; \
	command -v ip >/dev/null && command -v tc >/dev/null || missing="$$missing iproute2"; \
	command -v iptables >/dev/null || missing="$$missing iptables"; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing"; \
		apt-get update -qq && apt-get install -y -qq $$missing >/dev/null \
		|| { echo "could not install$$missing: install it (apt-get install$$missing) and run make fidelity again"; exit 1; }; \
	fi

# examples/consumer is a module of its own, which ./... does not reach.
vet:
	$(GO) vet ./...
	cd examples/consumer && $(GO) vet ./...
	@unformatted="$$(gofmt -l .)"; if [ -n "$$unformatted" ]; then echo "gofmt -w these files:"; echo "$$unformatted"; exit 1; fi

# Virtual time exists only inside a test binary (testing/synctest), so the
# scenario jobs run the scenarios package's test binary.
runner:
	@mkdir -p $(BUILD)
	@echo "building the scenario runner ($(GO) test -c ./scenarios: a minute or two the first time, seconds after)"
	@$(GO) test -c -o $(RUNNER) ./scenarios

## demo: replay the whole scenario library and print a summary table
demo: runner
	@cd scenarios && ../$(RUNNER) -test.run '^TestDemo$$' -demo

## replay: one scenario, any path, or every scenario under a folder:
## make replay SCENARIO=path/to/file.yaml [SEED=n] [DETAIL=full]
##   [PCAP=run.pcapng: also write its packets, TLS secrets included, for Wireshark]
## make replay SCENARIO=path/to/folder/
replay: runner
	@if [ -z "$(SCENARIO)" ]; then echo "usage: make replay SCENARIO=path/to/file.yaml [SEED=n] [DETAIL=full] [PCAP=run.pcapng], or SCENARIO=path/to/folder/"; exit 2; fi
	@cd scenarios && ../$(RUNNER) -test.run '^TestReplay$$' -scenario "$(abspath $(SCENARIO))" $(if $(SEED),-seed $(SEED)) $(if $(DETAIL),-detail $(DETAIL)) $(if $(PCAP),-pcap "$(abspath $(PCAP))")

## report: one scenario's HTML report, one self-contained file: make report
## SCENARIO=path/to/file.yaml [SEED=n] [OUT=file.html] (build/report/<name>.html
## by default); it fails as make replay does when an expectation fails
report: runner
	@if [ -z "$(SCENARIO)" ]; then echo "usage: make report SCENARIO=path/to/file.yaml [SEED=n] [OUT=report.html]"; exit 2; fi
	@mkdir -p $(dir $(abspath $(or $(OUT),$(BUILD)/report/x)))
	@cd scenarios && ../$(RUNNER) -test.run '^TestReport$$' -scenario "$(abspath $(SCENARIO))" $(if $(SEED),-seed $(SEED)) -report "$(abspath $(or $(OUT),$(BUILD)/report/$(basename $(notdir $(SCENARIO))).html))"

## golden: rewrite the golden records, the matrix's and the JSON Schema from the
## current code (review the diff before committing; CI never runs this)
golden:
	$(GO) test ./scenarios -count=1 -run '^(TestScenarios|TestGate|TestSchemaFileIsCurrent)$$' -update -gate

## gate: the release gate: the library and the generated matrix (each model and
## firmware x network profile x provider preset) against their golden records;
## JUnit XML and a summary table per model and firmware in build/, and an HTML
## index of every case in build/gate/index.html linked to each case's report
## (REPORTS=failed: reports of the failing cases only).
## SHARD=k/n plays one shard of n (CI matrices), by a stable hash of the name.
SHARD ?= 1/1
REPORTS ?= all
GATE_INDEX := $(abspath $(BUILD))/gate/$(if $(filter 1/1,$(SHARD)),index.html,index-$(subst /,-of-,$(SHARD)).html)
gate: tools
	@mkdir -p $(BUILD)
	@status=0; \
	$(GO) tool gotestsum --format pkgname --junitfile $(BUILD)/gate-$(subst /,-of-,$(SHARD)).xml -- \
		-count=1 -run '^TestGate$$' ./scenarios -gate -shard $(SHARD) -summary $(abspath $(BUILD))/gate-summary-$(subst /,-of-,$(SHARD)).txt \
		-index $(GATE_INDEX) -reports $(REPORTS) || status=$$?; \
	cat $(BUILD)/gate-summary-$(subst /,-of-,$(SHARD)).txt 2>/dev/null; \
	echo "index: $(GATE_INDEX)"; \
	exit $$status

## explore: generate N worlds from SEED (a model and firmware, settings the
## UI takes, a network and its faults, DNS and server faults, triggers),
## play each twice in virtual time and check the invariants every firmware
## must keep; a failing world is shrunk to a small scenario file in
## build/explore/ that make replay plays. JUnit and a summary in build/.
## make explore [N=1000] [SEED=1] [MODEL=ptz-4g] [FIRMWARE=5.2.0] [SHARD=k/n] [JOBS=2]
## make explore CHECK=path/to/case.yaml   (play a file twice and judge it)
# N and SEED default here, not globally: make replay and make report play
# the file's own seed unless SEED is given.
explore: runner
	@$(GO) run ./cmd/alertsim explore -runner $(RUNNER) -n $(or $(N),1000) -seed $(or $(SEED),1) -shard $(SHARD) $(if $(MODEL),-model $(MODEL)) $(if $(FIRMWARE),-firmware $(FIRMWARE)) $(if $(JOBS),-jobs $(JOBS)) $(if $(CHECK),-check "$(abspath $(CHECK))")

# The CI workflow (.github/workflows), checked by actionlint, a Go tool
# pinned in go.mod.
lint-ci:
	$(GO) tool actionlint

## fuzz: fuzz the scenario loader for a minute, an SMTP session for 30
## seconds, and serve's session over real sockets for 30 seconds
fuzz:
	$(GO) test ./scenarios -run '^$$' -fuzz '^FuzzParse$$' -fuzztime 60s
	$(GO) test ./fakesmtp -run '^$$' -fuzz '^FuzzSession$$' -fuzztime 30s
	$(GO) test ./cmd/alertsim -run '^$$' -fuzz '^FuzzServeSession$$' -fuzztime 30s

## ingest: serve (capture, .eml fsync'd) against go-smtp's discard server,
## side by side; the ratio is serve's share. INGEST_DIR picks the disk.
ingest:
	ALERTSIM_INGEST_DIR=$(INGEST_DIR) $(GO) test ./cmd/alertsim -run '^$$' -bench '^BenchmarkIngestRatio$$' -benchtime 20x

clean:
	rm -rf $(BUILD)
