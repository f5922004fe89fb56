#!/bin/sh
# Runs earshot's matcher comparison: builds the Rust peer with cargo (when
# cargo is installed), then runs every Go implementation and the Rust binary
# on the same corpus and writes ../results/match-<date>.{json,md}.
# Extra arguments go to matchbench, e.g. ./run.sh -passes 7 -sizes 1000,10000
set -eu
cd "$(dirname "$0")"
root=$(cd ../.. && pwd)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/.cache/cargo-target}"
rust="$CARGO_TARGET_DIR/release/earshot-peers-rust"
if command -v cargo >/dev/null 2>&1; then
	(cd rust && cargo build --release --quiet)
else
	echo "run.sh: cargo not found, the Rust peer is skipped" >&2
	rust=""
fi
# -mod=mod lets this module pick up dependencies that earshot's packages
# gained since go.sum was last written.
GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=mod" exec go run ./cmd/matchbench -rust "$rust" -out ../results "$@"
