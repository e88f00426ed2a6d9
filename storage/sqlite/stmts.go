package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"
)

// stmts holds one *sql.DB's prepared statements by query. SQLite compiles a
// statement each time one is prepared, which costs about as much as running
// a short one: a third of a spend's time went to it. The queries are this
// package's constants, so the cache stays small.
//
// A statement is prepared on the DB outside any transaction (preparing on
// the DB takes a connection, and the writer has one): a transaction that
// meets a query the cache lacks prepares it for itself and notes it, and
// once the transaction has ended, warm prepares it in the background, so
// that no caller waits for the connection on the cache's behalf.
type stmts struct {
	db       *sql.DB
	mu       sync.Mutex
	m        map[string]*sql.Stmt
	inflight map[string]bool // queries warm is preparing
	warming  sync.WaitGroup  // warm's goroutines
	closed   bool
}

func newStmts(db *sql.DB) *stmts {
	return &stmts{db: db, m: map[string]*sql.Stmt{}, inflight: map[string]bool{}}
}

// warmTimeout bounds how long warm waits for a connection.
const warmTimeout = 10 * time.Second

// warm prepares queries the cache lacks, in the background. A failure
// only leaves a query to be prepared again.
func (c *stmts) warm(queries []string) {
	c.mu.Lock()
	var todo []string
	for _, q := range queries {
		if c.m[q] == nil && !c.inflight[q] && !c.closed {
			c.inflight[q] = true
			todo = append(todo, q)
		}
	}
	if len(todo) > 0 {
		c.warming.Add(1)
	}
	c.mu.Unlock()
	if len(todo) == 0 {
		return
	}
	go func() {
		defer c.warming.Done()
		ctx, cancel := context.WithTimeout(context.Background(), warmTimeout)
		defer cancel()
		for _, q := range todo {
			c.prepare(ctx, q)
			c.mu.Lock()
			delete(c.inflight, q)
			c.mu.Unlock()
		}
	}()
}

// get returns query's statement, or nil when it is not prepared yet.
func (c *stmts) get(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[query]
}

// prepare returns query's statement, preparing it if needed. It must not
// be called inside a transaction of c's DB.
func (c *stmts) prepare(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	st, closed := c.m[query], c.closed
	c.mu.Unlock()
	if st != nil {
		return st, nil
	}
	if closed {
		return nil, errors.New("sqlite: prepare: store closed")
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("sqlite: prepare: %w", translate(err))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.m[query]; old != nil || c.closed {
		st.Close()
		if c.closed {
			return nil, errors.New("sqlite: prepare: store closed")
		}
		return old, nil
	}
	c.m[query] = st
	return st, nil
}

// close closes every statement; later prepares fail.
func (c *stmts) close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.warming.Wait() // so that no prepare holds a connection past Close
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for _, st := range c.m {
		errs = append(errs, st.Close())
	}
	clear(c.m)
	return errors.Join(errs...)
}

// stmt returns query's statement in t (the cached one, or one t prepares
// for itself, noting query for the cache) and the context to run it with.
// In an Update that is ctx without its cancellation, once ctx is checked:
// SQLite may roll back a whole transaction, which other Updates share (see
// group.go), when it interrupts a statement.
func (t *tx) stmt(ctx context.Context, query string) (*sql.Stmt, context.Context, error) {
	if t.done {
		return nil, nil, errors.New("sqlite: transaction used after it ended")
	}
	if t.write {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		ctx = context.WithoutCancel(ctx)
	}
	if st := t.stmts.get(query); st != nil {
		return t.tx.StmtContext(ctx, st), ctx, nil
	}
	t.missed = append(t.missed, query)
	st, err := t.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, nil, translate(err)
	}
	return st, ctx, nil
}
