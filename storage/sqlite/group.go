package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Group commit.
//
// The store has one writer connection, and each commit waits for the disk
// to flush the log (synchronous=FULL), so Updates that arrive together would
// queue behind one flush each. Instead, an Update that finds others queued
// hands them its open transaction: each runs in a SAVEPOINT of it, rolled
// back alone when its fn fails, and when no Update is left waiting, the
// holder commits them all with one flush.
//
// An Update whose fn succeeded returns only after the commit that holds its
// writes, with that commit's result: none is reported committed before it
// is, and a failed commit fails every Update in it and keeps none of their
// writes. Statements in a shared transaction run with a context that is not
// cancelled (the context's error is checked before each one instead), since
// SQLite may roll back a whole transaction when it interrupts a statement.

// A group takes no more Updates once it holds maxGroup, or once it has been
// open for maxGroupAge: an Update waits for the Updates after it in its group
// (their fns run before the commit), and maxGroupAge bounds that wait to
// about itself plus one fn.
const (
	maxGroup    = 64
	maxGroupAge = 2 * time.Millisecond
)

// writer hands the writer connection from one Update to the next.
type writer struct {
	db     *sql.DB
	maxAge time.Duration // maxGroupAge; tests set more

	mu      sync.Mutex
	busy    bool    // an Update holds the writer
	queue   []*turn // Updates waiting for it, in arrival order
	open    *group  // the transaction the next holder continues, if any
	commits int     // commits made, for tests
}

// turn is a queued Update's place in line.
type turn struct {
	ready  chan struct{} // closed when the writer is handed to it
	handed bool          // set with close(ready), under writer.mu
}

// group is one transaction that several Updates share.
type group struct {
	tx      *sql.Tx
	began   time.Time
	members int   // Updates whose writes it holds
	broken  error // why it can take no more; it will be rolled back
	done    chan struct{}
	err     error // the commit's result, once done is closed
}

// acquire waits for the writer. It returns ctx's error if ctx ends first.
func (w *writer) acquire(ctx context.Context) error {
	w.mu.Lock()
	if !w.busy {
		w.busy = true
		w.mu.Unlock()
		return nil
	}
	t := &turn{ready: make(chan struct{})}
	w.queue = append(w.queue, t)
	w.mu.Unlock()
	select {
	case <-t.ready:
		return nil
	case <-ctx.Done():
	}
	w.mu.Lock()
	if !t.handed {
		w.queue = slices.DeleteFunc(w.queue, func(x *turn) bool { return x == t })
		w.mu.Unlock()
		return ctx.Err()
	}
	w.mu.Unlock()
	w.release() // it was handed over as ctx ended: pass it on
	return ctx.Err()
}

// begin returns the open group, or begins one. The holder calls it.
func (w *writer) begin() (*group, error) {
	w.mu.Lock()
	g := w.open
	w.mu.Unlock()
	if g != nil {
		return g, nil
	}
	// Not the caller's context: the transaction outlives its Update, and
	// database/sql rolls a transaction back when its context ends.
	tx, err := w.db.BeginTx(context.Background(), nil)
	if err != nil {
		return nil, fmt.Errorf("sqlite: begin: %w", translate(err))
	}
	g = &group{tx: tx, began: time.Now(), done: make(chan struct{})}
	w.mu.Lock()
	w.open = g
	w.mu.Unlock()
	return g, nil
}

// release is called by the holder when its Update is through with the
// transaction. It hands the writer to the next queued Update, which
// continues the open group; when none waits, or the group is full or
// broken, it ends the group first.
func (w *writer) release() {
	w.mu.Lock()
	g := w.open
	if len(w.queue) > 0 && (g == nil || g.open(w.maxAge)) {
		w.handOff()
		w.mu.Unlock()
		return
	}
	w.open = nil
	w.mu.Unlock()
	if g != nil {
		g.end()
		w.mu.Lock()
		w.commits++
		w.mu.Unlock()
	}
	w.mu.Lock()
	if len(w.queue) > 0 {
		w.handOff()
	} else {
		w.busy = false
	}
	w.mu.Unlock()
}

// open reports whether g takes more Updates.
func (g *group) open(maxAge time.Duration) bool {
	return g.broken == nil && g.members < maxGroup && time.Since(g.began) < maxAge
}

// handOff gives the writer to the first queued Update. w.mu is held.
func (w *writer) handOff() {
	t := w.queue[0]
	w.queue = w.queue[1:]
	t.handed = true
	close(t.ready)
}

// end commits the group, or rolls it back if it is broken, and tells its
// members.
func (g *group) end() {
	if g.broken != nil {
		g.tx.Rollback()
		g.err = fmt.Errorf("sqlite: a transaction shared with this Update failed, and nothing was committed: %w", g.broken)
	} else if err := g.tx.Commit(); err != nil {
		g.err = fmt.Errorf("sqlite: commit: %w", translate(err))
	}
	close(g.done)
}

// savepoint names the savepoint each Update in a group runs in. Updates take
// turns, so one name serves.
const savepoint = "charter_update"

// enter starts an Update's part of the group.
func (g *group) enter() error {
	if _, err := g.tx.ExecContext(context.Background(), "SAVEPOINT "+savepoint); err != nil {
		g.broken = err
		return fmt.Errorf("sqlite: begin: %w", translate(err))
	}
	return nil
}

// leave ends an Update's part: its writes stay in the group when keep is
// true, and are rolled back otherwise. It reports whether they stay.
func (g *group) leave(keep bool) bool {
	ctx := context.Background()
	if keep {
		if _, err := g.tx.ExecContext(ctx, "RELEASE "+savepoint); err != nil {
			// The transaction is in doubt: roll it all back.
			g.broken = err
		}
		g.members++
		return true
	}
	if _, err := g.tx.ExecContext(ctx, "ROLLBACK TO "+savepoint); err != nil {
		// SQLite rolled the whole transaction back (it may, on some
		// errors), with the other members' writes.
		g.broken = err
		return false
	}
	if _, err := g.tx.ExecContext(ctx, "RELEASE "+savepoint); err != nil {
		g.broken = err
	}
	return false
}
