package sqlrec

import (
	"context"
	"fmt"
	"strings"

	"github.com/charterhq/charter/storage"
)

// BulkStatements are the reads of storage.BulkTx, each taking one list of
// keys (the dialect's In): its writes differ by backend (COPY, multi-row
// inserts), and each backend has them.
type BulkStatements struct {
	WorkspacesIn, WorkspacesInLocked string // ids
	PersonalOf                       string // users
	OwnedSharedOf                    string // users
}

// bulkStatements writes the bulk reads with in, the dialect's test of a
// column against a list parameter, and bind.
func bulkStatements(in string, bind func(string) string) BulkStatements {
	q := BulkStatements{
		WorkspacesIn:  `SELECT ` + WorkspaceCols + ` FROM workspaces WHERE id IN_LIST ORDER BY id`,
		PersonalOf:    `SELECT ` + WorkspaceCols + ` FROM workspaces WHERE kind = 'personal' AND owner IN_LIST ORDER BY id`,
		OwnedSharedOf: `SELECT owner, count(*) FROM workspaces WHERE kind = 'shared' AND owner IN_LIST GROUP BY owner`,
	}
	for _, p := range []*string{&q.WorkspacesIn, &q.PersonalOf, &q.OwnedSharedOf} {
		*p = bind(strings.ReplaceAll(*p, "IN_LIST", in))
	}
	return q
}

// keys is a list of keys as a bulk read's parameter.
func (r *Records[T, L]) keys(op string, ks []string) (any, error) {
	v, err := r.D.List(ks)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", r.D.Name, op, err)
	}
	return v, nil
}

// WorkspacesIn reads those of the workspaces with ids that exist, locking
// them in an Update.
func (r *Records[T, L]) WorkspacesIn(ctx context.Context, ids []string) ([]storage.Workspace, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	arg, err := r.keys("workspaces", ids)
	if err != nil {
		return nil, err
	}
	return all(ctx, r.C, r.D, fmt.Sprintf("%d workspaces", len(ids)), r.pick(r.D.B.WorkspacesIn, r.D.B.WorkspacesInLocked), (*Dialect[T, L]).ScanWorkspace, arg)
}

// PersonalWorkspacesOf reads the personal workspaces of users.
func (r *Records[T, L]) PersonalWorkspacesOf(ctx context.Context, users []string) ([]storage.Workspace, error) {
	if len(users) == 0 {
		return nil, nil
	}
	arg, err := r.keys("personal workspaces", users)
	if err != nil {
		return nil, err
	}
	return all(ctx, r.C, r.D, fmt.Sprintf("personal workspaces of %d users", len(users)), r.D.B.PersonalOf, (*Dialect[T, L]).ScanWorkspace, arg)
}

// OwnedSharedOf counts the shared workspaces each of users owns.
func (r *Records[T, L]) OwnedSharedOf(ctx context.Context, users []string) (map[string]int, error) {
	out := map[string]int{}
	if len(users) == 0 {
		return out, nil
	}
	arg, err := r.keys("shared workspaces", users)
	if err != nil {
		return nil, err
	}
	err = r.C.Query(ctx, fmt.Sprintf("shared workspaces of %d users", len(users)), r.D.B.OwnedSharedOf, []any{arg}, ScanFunc(func(s Scanner) error {
		var owner string
		var n int
		if err := s.Scan(&owner, &n); err != nil {
			return err
		}
		out[owner] = n
		return nil
	}))
	if err != nil {
		return nil, err
	}
	return out, nil
}

// The rows of the bulk writes, in the order of their column lists.

// WorkspaceRows are ws as rows of WorkspaceCols, each at version 1.
func (d *Dialect[T, L]) WorkspaceRows(ws []storage.Workspace) ([][]any, error) {
	rows := make([][]any, len(ws))
	for i, w := range ws {
		args, err := d.WorkspaceArgs(w)
		if err != nil {
			return nil, err
		}
		rows[i] = append(args, int64(1))
	}
	return rows, nil
}

// MemberRows are ms as rows of MemberCols.
func (d *Dialect[T, L]) MemberRows(ms []storage.Member) ([][]any, error) {
	rows := make([][]any, len(ms))
	for i, m := range ms {
		args, err := d.MemberArgs(m)
		if err != nil {
			return nil, fmt.Errorf("%s: insert member: %w", d.Name, err)
		}
		rows[i] = args
	}
	return rows, nil
}

// EventRows are es as rows of EventCols, numbered so that the last is
// last.
func (d *Dialect[T, L]) EventRows(es []storage.Event, last int64) [][]any {
	rows := make([][]any, len(es))
	first := last - int64(len(es)) + 1
	for i, e := range es {
		rows[i] = append([]any{first + int64(i)}, d.EventArgs(e)...)
	}
	return rows
}
