package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/storage/internal/sqlrec"
)

// The bulk writes of storage.BulkTx use COPY (pgx's CopyFrom on the
// transaction's connection), the fastest way into a table: the rows go to
// the server in one stream. A COPY that fails (a key taken, a workspace
// missing) aborts the transaction, as BulkTx allows: tx then refuses every
// later call.

// columns splits a column list of sqlrec.
func columns(list string) []string { return strings.Split(list, ", ") }

var (
	workspaceColumns = columns(sqlrec.WorkspaceCols)
	memberColumns    = columns(sqlrec.MemberCols)
	eventColumns     = columns(sqlrec.EventCols)
)

// copyFrom copies rows into table's columns cols, after sending the BEGIN
// and the deferred statements that must come first.
func (t *tx) copyFrom(ctx context.Context, op, table string, cols []string, rows [][]any) (err error) {
	if err := t.Writable(); err != nil {
		return err
	}
	if len(rows) == 0 {
		return nil
	}
	if !t.begun || t.pending != nil {
		if err := t.batch(ctx, op, &pgx.Batch{}, func(pgx.BatchResults) error { return nil }); err != nil {
			return err
		}
	}
	if t.err != nil {
		return t.err
	}
	n, err := t.conn.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(rows))
	if err == nil && n != int64(len(rows)) {
		err = fmt.Errorf("copied %d rows of %d", n, len(rows))
	}
	if err != nil {
		t.err = fmt.Errorf("postgres: %s: %w", op, translate(err))
		return t.err
	}
	return nil
}

// CreateWorkspaces copies ws into workspaces at version 1.
func (t *tx) CreateWorkspaces(ctx context.Context, ws []storage.Workspace) error {
	rows, err := t.D.WorkspaceRows(ws)
	if err != nil {
		return err
	}
	return t.copyFrom(ctx, fmt.Sprintf("create %d workspaces", len(ws)), "workspaces", workspaceColumns, rows)
}

// InsertMembers copies ms into members.
func (t *tx) InsertMembers(ctx context.Context, ms []storage.Member) error {
	rows, err := t.D.MemberRows(ms)
	if err != nil {
		return err
	}
	return t.copyFrom(ctx, fmt.Sprintf("insert %d members", len(ms)), "members", memberColumns, rows)
}

// AppendEvents reserves len(es) numbers of the event sequence in one
// statement, whose row lock is held until commit as AppendEvent's is, and
// copies the events with them.
func (t *tx) AppendEvents(ctx context.Context, es []storage.Event) (int64, error) {
	if err := t.Writable(); err != nil {
		return 0, err
	}
	if len(es) == 0 {
		return 0, nil
	}
	var last int64
	found, err := t.QueryRow(ctx, "append events", `UPDATE event_seq SET n = n + $1 WHERE id = 1 RETURNING n`,
		[]any{int64(len(es))}, sqlrec.ScanFunc(func(s sqlrec.Scanner) error { return s.Scan(&last) }))
	switch {
	case err != nil:
		return 0, err
	case !found:
		return 0, errors.New("postgres: append events: no event sequence (run Migrate)")
	}
	rows := t.D.EventRows(es, last)
	if err := t.copyFrom(ctx, fmt.Sprintf("append %d events", len(es)), "events", eventColumns, rows); err != nil {
		return 0, err
	}
	return last, nil
}
