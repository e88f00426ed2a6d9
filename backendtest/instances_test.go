package backendtest_test

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/storage/postgres/pgtest"
)

// TestTwoInstancesOnePostgres races 64 goroutines of spends, split between
// two Service instances with their own connection pools on one PostgreSQL
// database (as two processes of a service would be), against one pool of n
// credits, with every key sent to both instances: exactly n credits are
// spent, never more, and each key once.
func TestTwoInstancesOnePostgres(t *testing.T) {
	url := pgtest.SchemaURL(t)
	c := newClock()
	p := loadPolicy(t, "credit-pool")
	var services [2]*charter.Service
	for i := range services {
		s, err := charter.New(p, openPostgres(t, url), charter.Options{Now: c.Now})
		check(t, err)
		services[i] = s
	}
	const n, workers, perWorker = 300, 64, 12
	id := spendPool(t, services[0], n)

	var spent atomic.Int64
	keys := sync.Map{}
	var wg sync.WaitGroup
	for g := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := services[g%2]
			for i := range perWorker {
				// Goroutines g and g+1 run on different instances and send
				// the same keys.
				k := fmt.Sprintf("k%d-%d", g/2, i)
				r, err := s.Spend(ctx, "edi", "create_visuals", id, k)
				switch {
				case err == nil:
					if _, dup := keys.LoadOrStore(k, r); !dup {
						spent.Add(r.Amount)
					}
				case errors.Is(err, charter.ErrInsufficientCredits), errors.Is(err, charter.ErrConflict):
				default:
					t.Errorf("Spend: %v", err)
				}
			}
		}()
	}
	wg.Wait()
	want := min(int64(n), int64(workers/2*perWorker))
	if got := spent.Load(); got != want {
		t.Errorf("spent %d distinct credits, want exactly %d", got, want)
	}
	for _, s := range services {
		b := must[charter.Balance](t)(s.Balance(ctx, "own", id, "credits"))
		if b.Available != int64(n)-want {
			t.Errorf("balance %d, want %d", b.Available, int64(n)-want)
		}
	}
	j := must[[]credits.Entry](t)(journalOf(services[1], "own", id, "credits"))
	perKey := map[string]int{}
	for _, e := range j {
		if e.Kind == credits.KindSpend {
			perKey[e.Key]++
		}
	}
	if int64(len(perKey)) != want {
		t.Errorf("journal has spends under %d keys, want %d", len(perKey), want)
	}
	for k, c := range perKey {
		if c != 1 {
			t.Errorf("key %s spent %d times", k, c)
		}
	}
	if sum := credits.Sum(j); sum != int64(n)-want {
		t.Errorf("journal sums to %d, want %d", sum, int64(n)-want)
	}
}
