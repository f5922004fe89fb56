package e2e

import (
	"os"
	"testing"
)

// Services returns the addresses of the real Kafka broker and ClickHouse
// server from EARSHOT_KAFKA and EARSHOT_CLICKHOUSE, which make test sets
// after starting them (deploy/local/up); without them the test skips.
func Services(tb testing.TB) (kafkaAddr, clickhouseAddr string) {
	tb.Helper()
	kafkaAddr, clickhouseAddr = os.Getenv("EARSHOT_KAFKA"), os.Getenv("EARSHOT_CLICKHOUSE")
	if kafkaAddr == "" || clickhouseAddr == "" {
		tb.Skip("EARSHOT_KAFKA and EARSHOT_CLICKHOUSE not set: this test needs real Kafka and ClickHouse (make test)")
	}
	return kafkaAddr, clickhouseAddr
}
