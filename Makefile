# earshot — the two commands a newcomer needs:
#   make demo   start local Kafka + ClickHouse, run the synthetic firehose through the pipeline
#   make test   start local Kafka + ClickHouse, run every test (unit + integration)

GO      ?= go
KAFKA   ?= 127.0.0.1:9092
CH      ?= 127.0.0.1:9000
# Integration tests run when these are set, and fail loudly if the services are missing.
TESTENV  = EARSHOT_KAFKA=$(KAFKA) EARSHOT_CLICKHOUSE=$(CH)

.PHONY: demo test build up down status unit vet bench pgo clean

demo: up build
	bin/earshot demo $(ARGS)

test: up vet
	$(TESTENV) $(GO) test -count=1 -timeout 20m ./...

build:
	$(GO) build -o bin/earshot ./cmd/earshot

up:
	deploy/local/up

down:
	deploy/local/down

status:
	deploy/local/status

vet:
	$(GO) vet ./...

# unit runs only the tests that need no services (integration tests skip).
unit:
	$(GO) test ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./match/... ./stream/... ./enrich/...

# pgo refreshes cmd/earshot/default.pgo, the CPU profile `go build` optimises
# earshot with (profile-guided optimisation): 5 s of `earshot run` catching up
# on 6M generated posts, as bench/e2e measures it. Refresh it after changes
# to the hot path; a stale profile only optimises less.
pgo: up build
	bin/earshot bench --posts 6000000 --runs 1 --latency-duration 0 --out .local/pgo \
		--cpuprofile cmd/earshot/default.pgo

clean:
	rm -rf bin
