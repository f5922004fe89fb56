#!/bin/sh
# Measures earshot end to end on this machine (perf.md, "End to end"):
# starts the local Kafka and ClickHouse (deploy/local/up), builds
# bin/earshot, then runs `earshot bench` on them with their CPU measured
# and ClickHouse's Kafka engine compared, which writes
# bench/results/e2e-<date>.{json,md}. Extra arguments go to earshot bench,
# e.g.
#   bench/e2e/run.sh -posts 2000000 -runs 5 -latency-duration 2m
set -eu
cd "$(dirname "$0")/../.."
deploy/local/up
go build -o bin/earshot ./cmd/earshot
exec bin/earshot bench --out bench/results --run-dir .local/run --clickhouse-engine "$@"
