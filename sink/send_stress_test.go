package sink

import (
	"context"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"earshot/stream/alert"
)

// TestSendRace inserts alerts one at a time for a minute while spinning
// goroutines keep every core busy: an INSERT's context ended right after
// its Send used to close, now and then, the connection the pool had back
// (sendContext), and the next INSERT failed with "use of closed network
// connection". Before the fix, each of three runs failed within 45 s (at
// the 163rd and the 445th insert in two of them); after it, two runs
// passed. The caller's own context, cancelled as each INSERT returns,
// raced the same way until the INSERT's context stopped following it
// after Send. It takes a minute of the whole machine, so it runs only with
// EARSHOT_STRESS=1.
func TestSendRace(t *testing.T) {
	if os.Getenv("EARSHOT_STRESS") == "" {
		t.Skip("EARSHOT_STRESS not set: skipping the minute-long stress of INSERTs")
	}
	c := migratedClient(t, nil)
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for x := 0; !stop.Load(); x++ {
			}
		}()
	}
	defer wg.Wait()
	defer stop.Store(true)
	at := time.Date(2026, 11, 22, 10, 31, 5, 0, time.UTC)
	as := []alert.Alert{{ID: "a1", EventID: "a1", Kind: alert.KindTrigger, Rule: "sismo", Scope: alert.ScopeCountry,
		DetectedAt: at, Onset: at, Unit: "posts"}}
	for i, end := 0, time.Now().Add(time.Minute); time.Now().Before(end); i++ {
		// The caller cancels its context as soon as the INSERT returns, as a
		// shutdown may.
		ctx, cancel := context.WithCancel(context.Background())
		err := c.InsertAlerts(ctx, as)
		cancel()
		if err != nil {
			t.Fatalf("insert %d: %v", i, err)
		}
	}
}
