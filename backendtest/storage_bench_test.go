package backendtest_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "modernc.org/sqlite" // the baseline's own connection to the SQLite file

	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/storage/postgres/pgtest"
	"github.com/charterhq/charter/storage/sqlite"
)

// clients is how many goroutines each storage benchmark runs at once.
const clients = 16

// rounds numbers the runs of a benchmark function, which go test repeats
// (with -count, and while it finds b.N), so each run's keys and users are
// new.
var rounds atomic.Int64

// parallel runs op from clients goroutines for b.N calls in all.
func parallel(b *testing.B, op func(i int64) error) {
	b.Helper()
	var seq atomic.Int64
	b.SetParallelism((clients + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := op(seq.Add(1)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// baseline is the bare database work a Service call is judged against.
// access and stamp are the floors of Service.Can: the two queries
// Store.Access sends, run bare on the same kind of connections. A check
// whose answer the store keeps sends only the stamp query; the first check,
// and the first after a change, sends the access query too.
type baseline struct {
	selectOne func(ctx context.Context) error
	update    func(ctx context.Context) error
	access    func(ctx context.Context, id, user string) error
	stamp     func(ctx context.Context, id string) error
	// spendFloor, where set, is less than any spend can do on its backend
	// (see postgresBaseline).
	spendFloor func(ctx context.Context, key string) error
}

// accessQuery is the query both SQL backends' Store.Access send to read a
// workspace and a membership, with their placeholders.
func accessQuery(id, user string) string {
	return `SELECT w.stamp, w.id, w.name, w.kind, w.plan, w.owner, w.billing_contact, w.guests_disabled,
			w.logo, w.preferences, w.created, w.anchor, w.version, m.user_id, m.role, m.projects, m.joined, m.seat_since
		FROM workspaces w LEFT JOIN members m ON m.workspace = w.id AND m.user_id = ` + user + `
		WHERE w.id = ` + id
}

// stampQuery is the query both SQL backends' Store.Access send to learn
// whether what they read before still holds.
func stampQuery(id string) string { return `SELECT stamp FROM workspaces WHERE id = ` + id }

// BenchmarkStorage measures Service.Can, Spend and invite+accept on each
// backend with 16 concurrent clients, next to baselines on the same
// database in the same run: a bare SELECT 1 round trip and a bare single-row
// UPDATE (for memory, a policy check on a snapshot and an int decremented
// under a mutex: see BenchmarkSpend). Targets: Can at most 1.5x SELECT 1,
// Spend at most 2x the UPDATE.
func BenchmarkStorage(b *testing.B) {
	for _, bk := range backends() {
		b.Run(bk.name, func(b *testing.B) {
			var base *baseline
			var open func(testing.TB) storage.Store
			switch bk.name {
			case "memory":
				open = bk.open
			case "sqlite":
				path := filepath.Join(b.TempDir(), "bench.db")
				open = func(tb testing.TB) storage.Store {
					s, err := sqlite.Open(ctx, path)
					if err != nil {
						tb.Fatal(err)
					}
					return migrated(tb, s)
				}
				base = sqliteBaseline(b, path)
			case "postgres":
				url := pgtest.SchemaURL(b)
				open = func(tb testing.TB) storage.Store { return openPostgres(tb, url) }
				base = postgresBaseline(b, url)
			}
			if base != nil {
				b.Run("baseline-select1", func(b *testing.B) {
					parallel(b, func(int64) error { return base.selectOne(ctx) })
				})
				b.Run("baseline-update", func(b *testing.B) {
					parallel(b, func(int64) error { return base.update(ctx) })
				})
				if base.spendFloor != nil {
					b.Run("floor-spend", func(b *testing.B) {
						round := fmt.Sprint(rounds.Add(1))
						parallel(b, func(i int64) error { return base.spendFloor(ctx, fmt.Sprint(round, "-", i)) })
					})
				}
			}
			s := newService(b, "credit-pool", open(b), newClock())
			id := spendPool(b, s, 1<<40)
			if base != nil {
				b.Run("baseline-access-query", func(b *testing.B) {
					parallel(b, func(int64) error { return base.access(ctx, id, "edi") })
				})
				b.Run("baseline-stamp-query", func(b *testing.B) {
					parallel(b, func(int64) error { return base.stamp(ctx, id) })
				})
			}
			b.Run("Can", func(b *testing.B) {
				parallel(b, func(int64) error {
					ok, err := s.Can(ctx, "edi", "view_visuals", id)
					if err == nil && !ok {
						err = fmt.Errorf("denied")
					}
					return err
				})
			})
			b.Run("Spend", func(b *testing.B) {
				round := fmt.Sprint(rounds.Add(1)) // keys unique across the benchmark's runs
				parallel(b, func(i int64) error {
					_, err := s.Spend(ctx, "edi", "create_visuals", id, fmt.Sprint(round, "-", i))
					return err
				})
			})
			// The same spends, each client on a pool of its own (by the
			// goroutine's first call), to tell the cost of one spend from
			// the queue on one pool's lock.
			var pools []string
			for range clients {
				pools = append(pools, spendPool(b, s, 1<<40))
			}
			var next atomic.Int64
			b.Run("Spend-own-pools", func(b *testing.B) {
				round := fmt.Sprint(rounds.Add(1))
				parallel(b, func(i int64) error {
					pool := pools[next.Add(1)%int64(len(pools))]
					_, err := s.Spend(ctx, "edi", "create_visuals", pool, fmt.Sprint(round, "-", i))
					return err
				})
			})
			// Joins spread over 64 workspaces, so their size (which every
			// membership change reads) does not grow with b.N.
			var tenants []string
			for range 64 {
				tenants = append(tenants, must[*workspaceT](b)(s.CreateWorkspace(ctx, "own", "Tenant", "")).ID)
			}
			b.Run("invite+accept", func(b *testing.B) {
				round := fmt.Sprint(rounds.Add(1))
				parallel(b, func(i int64) error {
					user := fmt.Sprint("u", round, "-", i)
					inv, err := s.Invite(ctx, "own", tenants[i%int64(len(tenants))], user+"@example.com", "reviewer")
					if err != nil {
						return err
					}
					_, err = s.Accept(ctx, user, user+"@example.com", inv.Token)
					return err
				})
			})
		})
	}
}

// sqliteBaseline runs its statements on connections set up as the store's
// are: reads on a pool of read-only connections as large as the store's,
// the UPDATE on one writer connection, every statement prepared once.
func sqliteBaseline(b *testing.B, path string) *baseline {
	open := func(params string, conns int) *sql.DB {
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)"+params)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		db.SetMaxOpenConns(conns)
		db.SetMaxIdleConns(conns)
		return db
	}
	w := open("&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)", 1)
	if _, err := w.Exec(`CREATE TABLE IF NOT EXISTS bench (id INTEGER PRIMARY KEY, n INTEGER NOT NULL);
		INSERT OR REPLACE INTO bench VALUES (1, 0)`); err != nil {
		b.Fatal(err)
	}
	r := open("&_query_only=1", max(4, runtime.GOMAXPROCS(0)))
	// The store's tables exist once the Service is made, after this.
	prepare := func(db *sql.DB, query string) func() (*sql.Stmt, error) {
		return sync.OnceValues(func() (*sql.Stmt, error) {
			st, err := db.Prepare(query)
			if err == nil {
				b.Cleanup(func() { st.Close() })
			}
			return st, err
		})
	}
	one, upd := prepare(r, "SELECT 1"), prepare(w, "UPDATE bench SET n = n + 1 WHERE id = 1")
	access, stamp := prepare(r, accessQuery("?2", "?1")), prepare(r, stampQuery("?"))
	return &baseline{
		selectOne: func(ctx context.Context) error {
			st, err := one()
			if err != nil {
				return err
			}
			var n int
			return st.QueryRowContext(ctx).Scan(&n)
		},
		update: func(ctx context.Context) error {
			st, err := upd()
			if err != nil {
				return err
			}
			_, err = st.ExecContext(ctx)
			return err
		},
		access: func(ctx context.Context, id, user string) error {
			st, err := access()
			if err != nil {
				return err
			}
			var (
				w, name, kind, plan, owner, contact string
				guests                              bool
				stamp, created, anchor, version     int64
				mUser, mRole, mp                    sql.NullString
				joined, seat                        sql.NullInt64
			)
			return st.QueryRowContext(ctx, user, id).Scan(&stamp, &w, &name, &kind, &plan, &owner, &contact, &guests,
				&created, &anchor, &version, &mUser, &mRole, &mp, &joined, &seat)
		},
		stamp: func(ctx context.Context, id string) error {
			st, err := stamp()
			if err != nil {
				return err
			}
			var n int64
			return st.QueryRowContext(ctx, id).Scan(&n)
		},
	}
}

func postgresBaseline(b *testing.B, url string) *baseline {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	if _, err := pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS bench (id int PRIMARY KEY, n bigint NOT NULL);
		INSERT INTO bench VALUES (1, 0) ON CONFLICT (id) DO UPDATE SET n = 0;
		CREATE TABLE IF NOT EXISTS bench_pool (id int PRIMARY KEY);
		CREATE TABLE IF NOT EXISTS bench_lot (pool int, id int, remaining bigint NOT NULL CHECK (remaining >= 0), PRIMARY KEY (pool, id));
		CREATE TABLE IF NOT EXISTS bench_journal (seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, pool int NOT NULL, lot int NOT NULL, amount bigint NOT NULL, key text NOT NULL);
		CREATE TABLE IF NOT EXISTS bench_key (pool int, key text, PRIMARY KEY (pool, key));
		INSERT INTO bench_pool VALUES (1) ON CONFLICT DO NOTHING;
		INSERT INTO bench_lot VALUES (1, 1, 1000000000000) ON CONFLICT (pool, id) DO UPDATE SET remaining = 1000000000000`); err != nil {
		b.Fatal(err)
	}
	return &baseline{
		spendFloor: func(ctx context.Context, key string) error { return postgresSpendFloor(ctx, pool, key) },
		selectOne: func(ctx context.Context) error {
			var one int
			return pool.QueryRow(ctx, "SELECT 1").Scan(&one)
		},
		update: func(ctx context.Context) error {
			_, err := pool.Exec(ctx, "UPDATE bench SET n = n + 1 WHERE id = 1")
			return err
		},
		access: func(ctx context.Context, id, user string) error {
			var (
				w, name, kind, plan, owner, contact string
				guests                              bool
				created, anchor                     time.Time
				stamp, version                      int64
				mUser, mRole                        *string
				mp                                  []string
				joined, seat                        *time.Time
			)
			return pool.QueryRow(ctx, accessQuery("$1", "$2"), id, user).Scan(&stamp, &w, &name, &kind, &plan, &owner, &contact, &guests,
				&created, &anchor, &version, &mUser, &mRole, &mp, &joined, &seat)
		},
		stamp: func(ctx context.Context, id string) error {
			var n int64
			return pool.QueryRow(ctx, stampQuery("$1"), id).Scan(&n)
		},
	}
}

// postgresSpendFloor does less than any spend can while the credit rules
// stay in Go (DESIGN: backends do not decide): one round trip to lock the
// pool and read its lots, so Go can decide, and one to write the burnt lot,
// a journal row and the idempotency key, with the COMMIT. A real spend
// also authorizes, reads the key's record and the allowance, numbers the
// journal per pool, and may write an allowance and an event.
func postgresSpendFloor(ctx context.Context, pool *pgxpool.Pool, key string) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	read := &pgx.Batch{}
	read.Queue(`BEGIN`)
	read.Queue(`SELECT id FROM bench_pool WHERE id = 1 FOR UPDATE`)
	read.Queue(`SELECT id, remaining FROM bench_lot WHERE pool = 1 ORDER BY id`)
	br := conn.SendBatch(ctx, read)
	var lot, remaining int64
	_, err = br.Exec()
	if err == nil {
		_, err = br.Exec()
	}
	if err == nil {
		err = br.QueryRow().Scan(&lot, &remaining)
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		conn.Exec(ctx, `ROLLBACK`)
		return err
	}
	write := &pgx.Batch{}
	write.Queue(`UPDATE bench_lot SET remaining = remaining - 1 WHERE pool = 1 AND id = $1`, lot)
	write.Queue(`INSERT INTO bench_journal (pool, lot, amount, key) VALUES (1, $1, -1, $2)`, lot, key)
	write.Queue(`INSERT INTO bench_key (pool, key) VALUES (1, $1)`, key)
	write.Queue(`COMMIT`)
	if err := conn.SendBatch(ctx, write).Close(); err != nil {
		conn.Exec(ctx, `ROLLBACK`)
		return err
	}
	return nil
}
