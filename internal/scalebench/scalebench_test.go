package scalebench

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/internal/heap"
	"github.com/charterhq/charter/policy"
	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/storage/memory"
	"github.com/charterhq/charter/storage/postgres"
	"github.com/charterhq/charter/storage/postgres/pgtest"
	"github.com/charterhq/charter/storage/sqlite"
	"github.com/charterhq/charter/workspace"
)

// seed is the seed of every workload the tests and benchmarks generate.
const seed = 11

// nQueries is how many queries a benchmark cycles through: enough that, on
// the large workload, consecutive queries land in different workspaces, so
// the cache helps no row more than another.
const nQueries = 1 << 16

var epoch = time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)

func loadPolicy(tb testing.TB) *policy.Policy {
	tb.Helper()
	p, err := LoadPolicy()
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func generate(tb testing.TB, p *policy.Policy, size Size, n int) *Workload {
	tb.Helper()
	w, err := Generate(p, size, seed, n)
	if err != nil {
		tb.Fatal(err)
	}
	return w
}

func TestPolicyShape(t *testing.T) {
	p := loadPolicy(t)
	cells := 0
	for _, a := range p.Actions() {
		for _, r := range p.Roles() {
			if a.Allowed.Has(r) {
				cells++
			}
		}
	}
	if len(p.Roles()) != 4 || len(p.Actions()) != 14 || cells != 34 {
		t.Errorf("policy has %d roles x %d actions, %d allowed cells; want 4 x 14, 34", len(p.Roles()), len(p.Actions()), cells)
	}
}

func TestGenerate(t *testing.T) {
	p := loadPolicy(t)
	for _, size := range []Size{Small, {Name: "medium", Workspaces: 2000, Members: 10}} {
		t.Run(size.Name, func(t *testing.T) {
			w := generate(t, p, size, 20000)
			if len(w.Users) != size.Workspaces*size.Members/2 {
				t.Errorf("pool of %d users, want W*M/2 = %d", len(w.Users), size.Workspaces*size.Members/2)
			}
			owner := p.OwnerRole().Index
			for _, ws := range w.Workspaces {
				if len(ws.Members) != size.Members {
					t.Fatalf("%s has %d members, want %d", ws.ID, len(ws.Members), size.Members)
				}
				seen := map[string]bool{}
				for i, m := range ws.Members {
					if seen[m.User] {
						t.Fatalf("%s lists %s twice", ws.ID, m.User)
					}
					seen[m.User] = true
					if (m.Role == owner) != (i == 0) {
						t.Fatalf("%s: member %d (%s) holds role %s", ws.ID, i, m.User, w.Roles[m.Role])
					}
				}
			}
			outsiders := 0
			for _, q := range w.Queries {
				if got := w.Workspaces[q.Workspace].has(q.User); got != q.Member {
					t.Fatalf("query %+v: member %t, want %t", q, got, q.Member)
				}
				if !q.Member {
					outsiders++
				}
			}
			// 10% of 20,000 draws: 2,000 with a standard deviation of
			// about 42, so 1,800 to 2,200 fails only on a broken draw.
			if outsiders < 1800 || outsiders > 2200 {
				t.Errorf("%d of %d queries by outsiders, want about 10%%", outsiders, len(w.Queries))
			}
			again := generate(t, p, size, 20000)
			if again.Queries[len(again.Queries)-1] != w.Queries[len(w.Queries)-1] || again.Workspaces[0].Members[1] != w.Workspaces[0].Members[1] {
				t.Error("the same seed gave a different workload")
			}
		})
	}
}

func TestGenerateRejectsEmpty(t *testing.T) {
	p := loadPolicy(t)
	for _, size := range []Size{{Workspaces: 0, Members: 5}, {Workspaces: 5, Members: 0}} {
		if _, err := Generate(p, size, seed, 10); err == nil {
			t.Errorf("Generate(%+v) succeeded", size)
		}
	}
}

// TestAllAgree checks that every structure the benchmarks compare gives the
// same answer to every query: the floor, Policy.Can on snapshots, and
// Service.Can on a store loaded directly, on one built by Import and on one
// built through Invite and Accept.
func TestAllAgree(t *testing.T) {
	ctx := context.Background()
	p := loadPolicy(t)
	w := generate(t, p, Size{Name: "agree", Workspaces: 40, Members: 6}, 5000)
	floor := w.Floor()
	snaps := w.Snapshots(p)
	whole, err := w.Whole(p, epoch)
	if err != nil {
		t.Fatal(err)
	}
	direct := newService(t, p)
	if err := w.Store(ctx, direct.store, epoch); err != nil {
		t.Fatal(err)
	}
	imported := newService(t, p)
	if _, err := w.Import(ctx, imported.Service); err != nil {
		t.Fatal(err)
	}
	invited := newService(t, p)
	ids, err := w.Invite(ctx, invited.Service)
	if err != nil {
		t.Fatal(err)
	}
	allowed := 0
	for _, q := range w.Queries {
		id, action := w.Workspaces[q.Workspace].ID, w.Actions[q.Action]
		want := floor.Can(id, q.User, int(q.Action))
		if want {
			allowed++
		}
		if q.Member != hasRole(floor, id, q.User) {
			t.Fatalf("floor membership of %s in %s disagrees with the query", q.User, id)
		}
		if got := p.Can(q.User, action, snaps[id]); got != want {
			t.Errorf("Policy.Can(%s, %s, %s) = %t, floor says %t", q.User, action, id, got, want)
		}
		if got := p.Can(q.User, action, whole[id]); got != want {
			t.Errorf("Policy.Can(%s, %s, whole %s) = %t, floor says %t", q.User, action, id, got, want)
		}
		for name, s := range map[string]struct {
			s  *charter.Service
			id string
		}{"direct": {direct.Service, id}, "imported": {imported.Service, id}, "invited": {invited.Service, ids[q.Workspace]}} {
			got, err := s.s.Can(ctx, q.User, action, s.id)
			if err != nil || got != want {
				t.Errorf("%s Service.Can(%s, %s, %s) = %t, %v; floor says %t", name, q.User, action, s.id, got, err, want)
			}
		}
	}
	// The workload must exercise both answers.
	if allowed == 0 || allowed == len(w.Queries) {
		t.Errorf("%d of %d queries allowed", allowed, len(w.Queries))
	}
}

func hasRole(f *Floor, id, user string) bool {
	_, ok := f.roles[id][user]
	return ok
}

type service struct {
	*charter.Service
	store *memory.Store
}

func newService(tb testing.TB, p *policy.Policy) service {
	tb.Helper()
	st := memory.New()
	s, err := charter.New(p, st, charter.Options{Now: func() time.Time { return epoch }})
	if err != nil {
		tb.Fatal(err)
	}
	return service{s, st}
}

// largeRequested reports whether the large workload should run: it takes
// minutes and gigabytes, so only when CHARTER_BENCH_LARGE is set or -bench
// names it ("-bench Scale/large").
func largeRequested() bool {
	return os.Getenv("CHARTER_BENCH_LARGE") != "" || benchNames("large")
}

// benchNames reports whether the -bench pattern names size.
func benchNames(size string) bool {
	f := flag.Lookup("test.bench")
	return f != nil && strings.Contains(f.Value.String(), size)
}

// sizeRequested reports whether a benchmark should run the workload of
// size: small always, the others when largeRequested or when -bench names
// them ("-bench Scale/medium").
func sizeRequested(size Size) bool {
	return size == Small || largeRequested() || benchNames(size.Name)
}

// built is one structure built from a workload, with what building it cost.
type built struct {
	took time.Duration
	heap uint64 // live heap it added
}

// measure runs build and reports how long it took and how much live heap
// what it returns holds.
func measure[T any](tb testing.TB, build func() (T, error)) (T, built) {
	tb.Helper()
	before := heap.Live()
	start := time.Now()
	v, err := build()
	took := time.Since(start)
	if err != nil {
		tb.Fatal(err)
	}
	after := heap.Live()
	runtime.KeepAlive(v)
	return v, built{took: took, heap: after - min(before, after)}
}

// report adds a structure's build time and live heap to a benchmark's
// result line.
func report(b *testing.B, c built) {
	b.ReportMetric(c.took.Seconds(), "build-s")
	b.ReportMetric(float64(c.heap)/(1<<20), "heap-MiB")
}

// BenchmarkScale runs the scale workload (see the package doc) through the
// floor, Policy.Can on snapshots and Service.Can on the memory store, one
// after the other in one process. Each row reports its check (ns/op,
// allocs/op) and what building its structure cost: build-s and heap-MiB, the
// live heap it added (after a full GC). The rows ending in -vs-floor time a
// check and the floor in alternating chunks of queries, so that both meet
// the same load on a shared machine, and report their ratio (x-floor).
//
// The small workload always runs. The medium (100,000 memberships) and
// large (1,000,000) ones run only when asked:
//
//	CHARTER_BENCH_LARGE=1 go test ./internal/scalebench -run '^$' -bench Scale -benchmem -count 3
//	go test ./internal/scalebench -run '^$' -bench 'Scale/large' -benchmem -count 3
//	go test ./internal/scalebench -run '^$' -bench 'Scale/medium' -benchmem -count 3
//
// The Service's store is filled by Service.Import (build-s includes writing
// the import file into memory); BenchmarkImport compares that with bare
// storage writes, BenchmarkInviteAccept with adding members one by one.
func BenchmarkScale(b *testing.B) {
	p := loadPolicy(b)
	for _, size := range []Size{Small, Medium, Large} {
		b.Run(size.Name, func(b *testing.B) {
			if !sizeRequested(size) {
				b.Skipf("the %s workload runs with CHARTER_BENCH_LARGE=1 or -bench 'Scale/%s'", size.Name, size.Name)
			}
			benchScale(b, p, size)
		})
	}
}

func benchScale(b *testing.B, p *policy.Policy, size Size) {
	ctx := context.Background()
	w := generate(b, p, size, nQueries)
	ids := make([]string, len(w.Workspaces))
	for i, ws := range w.Workspaces {
		ids[i] = ws.ID
	}
	queries := w.Queries
	var sink int

	floor, cost := measure(b, func() (*Floor, error) { return w.Floor(), nil })
	b.Run("floor", func(b *testing.B) {
		report(b, cost)
		b.ReportAllocs()
		i := 0
		for range b.N {
			q := &queries[i]
			if floor.Can(ids[q.Workspace], q.User, int(q.Action)) {
				sink++
			}
			i = (i + 1) % len(queries)
		}
	})

	whole, cost := measure(b, func() (map[string]*workspace.Workspace, error) { return w.Whole(p, epoch) })
	b.Run("whole-workspaces", func(b *testing.B) {
		report(b, cost)
		b.ReportAllocs()
		i := 0
		for range b.N {
			q := &queries[i]
			if p.Can(q.User, w.Actions[q.Action], whole[ids[q.Workspace]]) {
				sink++
			}
			i = (i + 1) % len(queries)
		}
	})
	whole = nil

	snaps, cost := measure(b, func() (map[string]*workspace.Workspace, error) { return w.Snapshots(p), nil })
	policyCan := func(q *Query) bool { return p.Can(q.User, w.Actions[q.Action], snaps[ids[q.Workspace]]) }
	b.Run("Policy.Can", func(b *testing.B) {
		report(b, cost)
		b.ReportAllocs()
		i := 0
		for range b.N {
			q := &queries[i]
			if p.Can(q.User, w.Actions[q.Action], snaps[ids[q.Workspace]]) {
				sink++
			}
			i = (i + 1) % len(queries)
		}
	})
	b.Run("Policy.Can-vs-floor", func(b *testing.B) { interleave(b, w, ids, floor, policyCan) })
	snaps = nil

	var st *memory.Store
	s, cost := measure(b, func() (*charter.Service, error) {
		s := newService(b, p)
		st = s.store
		_, err := w.Import(ctx, s.Service)
		return s.Service, err
	})
	serviceCan := func(q *Query) bool {
		ok, err := s.Can(ctx, q.User, w.Actions[q.Action], ids[q.Workspace])
		if err != nil {
			b.Fatal(err)
		}
		return ok
	}
	b.Run("Service.Can", func(b *testing.B) {
		report(b, cost)
		b.ReportAllocs()
		i := 0
		for range b.N {
			q := &queries[i]
			ok, err := s.Can(ctx, q.User, w.Actions[q.Action], ids[q.Workspace])
			if err != nil {
				b.Fatal(err)
			}
			if ok {
				sink++
			}
			i = (i + 1) % len(queries)
		}
	})
	b.Run("Service.Can-vs-floor", func(b *testing.B) { interleave(b, w, ids, floor, serviceCan) })
	// The least Service.Can can do on the memory store: the one read it
	// makes, Store.Access.
	storeAccess := func(q *Query) bool {
		_, _, ok, err := st.Access(ctx, ids[q.Workspace], q.User)
		if err != nil {
			b.Fatal(err)
		}
		return ok && floor.masks[q.Action]&(1<<floor.roles[ids[q.Workspace]][q.User]) != 0
	}
	b.Run("Store.Access-vs-floor", func(b *testing.B) { interleave(b, w, ids, floor, storeAccess) })
	_ = sink
}

// interleave runs b.N queries through the floor and through check in
// alternating chunks of 256, so that both meet the same load on a shared
// machine, and reports each one's time per check (floor-ns, check-ns) and
// their ratio (x-floor). Its ns/op is the sum of the two.
func interleave(b *testing.B, w *Workload, ids []string, floor *Floor, check func(*Query) bool) {
	const chunk = 256
	queries := w.Queries
	var tFloor, tCheck time.Duration
	sink, i := 0, 0
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		n := min(chunk, b.N-done)
		start := time.Now()
		for j := range n {
			q := &queries[(i+j)%len(queries)]
			if floor.Can(ids[q.Workspace], q.User, int(q.Action)) {
				sink++
			}
		}
		mid := time.Now()
		for j := range n {
			if check(&queries[(i+j)%len(queries)]) {
				sink--
			}
		}
		tFloor += mid.Sub(start)
		tCheck += time.Since(mid)
		i = (i + n) % len(queries)
		done += n
	}
	if sink != 0 {
		b.Fatalf("the check and the floor disagree on %d queries", sink)
	}
	b.ReportMetric(float64(tFloor.Nanoseconds())/float64(b.N), "floor-ns")
	b.ReportMetric(float64(tCheck.Nanoseconds())/float64(b.N), "check-ns")
	b.ReportMetric(float64(tCheck)/float64(tFloor), "x-floor")
}

// BenchmarkInviteAccept builds the small workload through the Service, one
// CreateWorkspace per workspace and one Invite and one Accept per other
// membership, and reports the cost per membership (ns/membership,
// B/membership). It is the only way in for existing tenants today.
func BenchmarkInviteAccept(b *testing.B) {
	ctx := context.Background()
	p := loadPolicy(b)
	w := generate(b, p, Small, 1)
	b.ReportAllocs()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	allocated := ms.TotalAlloc
	b.ResetTimer()
	for range b.N {
		s := newService(b, p)
		if _, err := w.Invite(ctx, s.Service); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&ms)
	n := float64(b.N * w.Memberships())
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/membership")
	b.ReportMetric(float64(ms.TotalAlloc-allocated)/n, "B/membership")
}

// BenchmarkImport builds the workload through Service.Import and, beside
// it, with bare bulk writes of the same rows (storage.BulkTx: COPY on
// PostgreSQL; no checks, no events: Workload.Store), on each backend: memory, SQLite, and PostgreSQL when
// CHARTER_POSTGRES_URL names a server (scripts/with-postgres.sh). Issue 11's
// target: Import within 2x of the bare writes. Each row reports build-s for
// its one build of the whole workload, and, in memory, heap-MiB; the
// medium (10,000 workspaces) and large sizes run only when asked (see
// BenchmarkScale).
func BenchmarkImport(b *testing.B) {
	ctx := context.Background()
	p := loadPolicy(b)
	for _, size := range []Size{Small, Medium, Large} {
		b.Run(size.Name, func(b *testing.B) {
			if !sizeRequested(size) {
				b.Skipf("the %s workload runs with CHARTER_BENCH_LARGE=1 or -bench 'Import/%s'", size.Name, size.Name)
			}
			w := generate(b, p, size, 1)
			var file bytes.Buffer
			if err := w.WriteImport(&file); err != nil {
				b.Fatal(err)
			}
			for _, bk := range importBackends() {
				b.Run(bk.name, func(b *testing.B) {
					for _, row := range []struct {
						name  string
						build func(s *charter.Service, st storage.Store) error
					}{
						{"bare-insert", func(_ *charter.Service, st storage.Store) error { return w.Store(ctx, st, epoch) }},
						{"Service.Import", func(s *charter.Service, _ storage.Store) error {
							_, err := s.Import(ctx, bytes.NewReader(file.Bytes()), charter.ImportOptions{})
							return err
						}},
					} {
						b.Run(row.name, func(b *testing.B) {
							var cost built
							for range b.N {
								st := bk.open(b)
								s, err := charter.New(p, st, charter.Options{Now: func() time.Time { return epoch }})
								if err != nil {
									b.Fatal(err)
								}
								_, cost = measure(b, func() (storage.Store, error) { return st, row.build(s, st) })
								st.Close()
							}
							b.ReportMetric(cost.took.Seconds(), "build-s")
							if bk.name == "memory" {
								b.ReportMetric(float64(cost.heap)/(1<<20), "heap-MiB")
							}
						})
					}
				})
			}
		})
	}
}

// importBackend opens an empty store of one backend.
type importBackend struct {
	name string
	open func(tb testing.TB) storage.Store
}

// importBackends returns memory, SQLite and, when CHARTER_POSTGRES_URL is
// set, PostgreSQL, each opening a new, migrated, empty store.
func importBackends() []importBackend {
	bks := []importBackend{
		{"memory", func(testing.TB) storage.Store { return memory.New() }},
		{"sqlite", func(tb testing.TB) storage.Store {
			st, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "import.db"))
			if err != nil {
				tb.Fatal(err)
			}
			return migrate(tb, st)
		}},
	}
	if os.Getenv("CHARTER_POSTGRES_URL") != "" {
		bks = append(bks, importBackend{"postgres", func(tb testing.TB) storage.Store {
			st, err := postgres.Open(context.Background(), pgtest.SchemaURL(tb))
			if err != nil {
				tb.Fatal(err)
			}
			return migrate(tb, st)
		}})
	}
	return bks
}

func migrate(tb testing.TB, st interface {
	storage.Store
	Migrate(context.Context) error
}) storage.Store {
	tb.Helper()
	if err := st.Migrate(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return st
}
