package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/storage/internal/sqlrec"
)

// bulkRows is how many rows one prepared multi-row INSERT writes. The rows
// of a bulk write go bulkRows at a time, and the rest one at a time, so
// that the statement cache holds two statements per table.
const bulkRows = 100

// insertRows inserts rows, each holding the values of cols, into table.
func (t *tx) insertRows(ctx context.Context, op, table, cols string, rows [][]any) error {
	if err := t.Writable(); err != nil {
		return err
	}
	if len(rows) == 0 {
		return nil
	}
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(rows[0])), ", ") + ")"
	insert := func(n int) string {
		return `INSERT INTO ` + table + ` (` + cols + `) VALUES ` + strings.TrimSuffix(strings.Repeat(one+", ", n), ", ")
	}
	many := insert(bulkRows)
	args := make([]any, 0, bulkRows*len(rows[0]))
	for len(rows) >= bulkRows {
		args = args[:0]
		for _, r := range rows[:bulkRows] {
			args = append(args, r...)
		}
		if _, err := t.Exec(ctx, op, many, args...); err != nil {
			return err
		}
		rows = rows[bulkRows:]
	}
	single := insert(1)
	for _, r := range rows {
		if _, err := t.Exec(ctx, op, single, r...); err != nil {
			return err
		}
	}
	return nil
}

// CreateWorkspaces inserts ws at version 1.
func (t *tx) CreateWorkspaces(ctx context.Context, ws []storage.Workspace) error {
	rows, err := t.D.WorkspaceRows(ws)
	if err != nil {
		return err
	}
	return t.insertRows(ctx, fmt.Sprintf("create %d workspaces", len(ws)), "workspaces", sqlrec.WorkspaceCols, rows)
}

// InsertMembers inserts ms; the foreign key refuses a missing workspace.
func (t *tx) InsertMembers(ctx context.Context, ms []storage.Member) error {
	rows, err := t.D.MemberRows(ms)
	if err != nil {
		return err
	}
	return t.insertRows(ctx, fmt.Sprintf("insert %d members", len(ms)), "members", sqlrec.MemberCols, rows)
}

// AppendEvents takes len(es) numbers of the event sequence and inserts the
// events with them.
func (t *tx) AppendEvents(ctx context.Context, es []storage.Event) (int64, error) {
	if err := t.Writable(); err != nil {
		return 0, err
	}
	if len(es) == 0 {
		return 0, nil
	}
	var last int64
	if _, err := t.QueryRow(ctx, "append events", `UPDATE event_seq SET n = n + ? WHERE id = 1 RETURNING n`, []any{int64(len(es))},
		sqlrec.ScanFunc(func(s sqlrec.Scanner) error { return s.Scan(&last) })); err != nil {
		return 0, err
	}
	rows := t.D.EventRows(es, last)
	if err := t.insertRows(ctx, fmt.Sprintf("append %d events", len(es)), "events", sqlrec.EventCols, rows); err != nil {
		return 0, err
	}
	return last, nil
}
