# charter's developer commands. `make test` is the one CI runs: every test,
# with the race detector, against a real PostgreSQL that it starts itself
# (see scripts/with-postgres.sh) unless CHARTER_POSTGRES_URL names one, and
# with the Chromium the playground's browser test needs, installed when
# missing (see scripts/with-chromium.sh).

GO          ?= go
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME    ?= 30s
# Minimizing each new input of several KiB (the shipped policies are seeds)
# takes minutes, during which a target runs nothing new: cap it.
FUZZMIN     ?= 2s
BENCHTIME   ?= 1s
BENCHCOUNT  ?= 1
# Sequences of the membership state machine `make stress` runs.
STRESSCHECKS ?= 10000

.PHONY: test bench bench-scale lint fuzz stress

test:
	bash scripts/with-chromium.sh bash scripts/with-postgres.sh $(GO) test -race -timeout 45m ./...
	# The allocation pins that -race skips (it makes sync.Pool drop items).
	$(GO) test -count 1 -run 'Allocs' ./backendtest

# Benchmarks, each next to the baseline it is judged against. The scale
# workload (internal/scalebench) runs here at its small size only.
bench:
	bash scripts/with-postgres.sh $(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) -count $(BENCHCOUNT) ./...

# The scale workload at both sizes: the large one holds 1,000,000
# memberships, takes minutes and a few GiB of memory. Its import benchmark
# runs on PostgreSQL too when CHARTER_POSTGRES_URL names a server (run this
# under scripts/with-postgres.sh).
bench-scale:
	CHARTER_BENCH_LARGE=1 $(GO) test ./internal/scalebench -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) -count $(BENCHCOUNT) -timeout 60m

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

# The membership state machine with its grant ceiling (no member holds a
# role above what an actor could grant) at STRESSCHECKS sequences, on the
# in-memory store, without the race detector (make test runs it with it, at
# rapid's default of 100).
stress:
	$(GO) test ./backendtest -run '^TestMembershipGrantCeiling$$' -count 1 -timeout 60m -v -rapid.checks $(STRESSCHECKS)

# Every fuzz target, FUZZTIME each.
fuzz:
	$(GO) test ./policy -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN)
	$(GO) test ./policy -run '^$$' -fuzz '^FuzzSingleDocument$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN)
	$(GO) test ./policy -run '^$$' -fuzz '^FuzzFormat$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN)
	$(GO) test ./plan -run '^$$' -fuzz '^FuzzParsePeriod$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN)
	$(GO) test ./cmd/charter -run '^$$' -fuzz '^FuzzParseSuite$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN)
	$(GO) test . -run '^$$' -fuzz '^FuzzImport$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN)
	$(GO) test . -run '^$$' -fuzz '^FuzzCheckWorkspaceID$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN)
	$(GO) test . -run '^$$' -fuzz '^FuzzPageCursor$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN)
	$(GO) test . -run '^$$' -fuzz '^FuzzImportDecode$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN)
	$(GO) test . -run '^$$' -fuzz '^FuzzGate$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN)
	$(GO) test . -run '^$$' -fuzz '^FuzzLogo$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN)
	$(GO) test . -run '^$$' -fuzz '^FuzzStoredReceipt$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN)
	$(GO) test ./cmd/charter/internal/playground -run '^$$' -fuzz '^FuzzMarkdownCells$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN)
