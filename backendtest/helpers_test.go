package backendtest_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/policy"
	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/storage/memory"
	"github.com/charterhq/charter/workspace"
)

// backend opens a fresh, empty store.
type backend struct {
	name string
	open func(tb testing.TB) storage.Store
}

// backends returns every storage backend the tests run on.
func backends() []backend {
	return append([]backend{{"memory", func(testing.TB) storage.Store { return memory.New() }}}, durableBackends()...)
}

// forEachBackend runs f as a subtest on every backend.
func forEachBackend(t *testing.T, f func(t *testing.T, open func(tb testing.TB) storage.Store)) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) { f(t, b.open) })
	}
}

func loadPolicy(tb testing.TB, name string) *policy.Policy {
	tb.Helper()
	p, err := policy.LoadFile(filepath.Join("..", "testdata", "policies", name+".yaml"))
	if err != nil {
		tb.Fatalf("loading %s: %v", name, err)
	}
	return p
}

// clock is a settable clock for tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 31, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newService(tb testing.TB, policyName string, store storage.Store, c *clock) *charter.Service {
	tb.Helper()
	s, err := charter.New(loadPolicy(tb, policyName), store, charter.Options{Now: c.Now})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	return s
}

func must[T any](tb testing.TB) func(T, error) T {
	return func(v T, err error) T {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
		return v
	}
}

func check(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

func wantErr(tb testing.TB, err, want error) {
	tb.Helper()
	if !errors.Is(err, want) {
		tb.Fatalf("err = %v, want %v", err, want)
	}
}

var ctx = context.Background()

type workspaceT = workspace.Workspace
type creditsRow = credits.SpendRow

func memoryStore() storage.Store { return memory.New() }

// member returns u's membership of ws; the zero Member if u is none.
func member(ws *workspaceT, u string) workspace.Member {
	m, _ := ws.Member(u)
	return m
}
