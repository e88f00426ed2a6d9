package sqlrec

import (
	"context"
	"fmt"

	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/storage"
)

// PageStatements read one page of a listing: up to a limit of rows after a
// key, with the index the listing's order follows.
type PageStatements struct {
	Invitations      string // workspace, limit
	InvitationsAfter string // workspace, created, created, id, limit
	SpendRows        string // workspace, currency, limit
	SpendRowsAfter   string // workspace, currency, period, period, member, limit
}

func pageStatements(bind func(string) string) PageStatements {
	// A spend table row sums its member's spends and the refunds of them
	// in one period (credits.SpendTable); a refund alone makes no row.
	const spend = `SELECT member, period, CAST(-sum(amount) AS BIGINT) FROM journal
		WHERE workspace = ? AND currency = ? AND kind IN ('spend', 'refund')`
	const rows = ` GROUP BY period, member HAVING sum(CASE WHEN kind = 'spend' THEN 1 ELSE 0 END) > 0
		ORDER BY period, member LIMIT ?`
	q := PageStatements{
		Invitations: `SELECT ` + InvitationCols + ` FROM invitations WHERE workspace = ?
		ORDER BY created, id LIMIT ?`,
		InvitationsAfter: `SELECT ` + InvitationCols + ` FROM invitations WHERE workspace = ?
		AND (created > ? OR (created = ? AND id > ?)) ORDER BY created, id LIMIT ?`,
		SpendRows:      spend + rows,
		SpendRowsAfter: spend + ` AND (period > ? OR (period = ? AND member > ?))` + rows,
	}
	for _, p := range []*string{&q.Invitations, &q.InvitationsAfter, &q.SpendRows, &q.SpendRowsAfter} {
		*p = bind(*p)
	}
	return q
}

// Invitations reads one page of a workspace's invitations.
func (r *Records[T, L]) Invitations(ctx context.Context, ws string, after *storage.InvitationKey, limit int) ([]storage.Invitation, error) {
	if after == nil {
		return all(ctx, r.C, r.D, "invitations of "+ws, r.D.P.Invitations, (*Dialect[T, L]).ScanInvitation, ws, limit)
	}
	t := r.D.Time(after.Created)
	return all(ctx, r.C, r.D, "invitations of "+ws, r.D.P.InvitationsAfter, (*Dialect[T, L]).ScanInvitation, ws, t, t, after.ID, limit)
}

// SpendRows reads one page of a pool's spend table.
func (r *Records[T, L]) SpendRows(ctx context.Context, ws, currency string, after *storage.SpendKey, limit int) ([]credits.SpendRow, error) {
	query, args := r.D.P.SpendRows, []any{ws, currency}
	if after != nil {
		query, args = r.D.P.SpendRowsAfter, append(args, after.Period, after.Period, after.Member)
	}
	var out []credits.SpendRow
	err := r.C.Query(ctx, fmt.Sprintf("spend table of %s in %s", currency, ws), query, append(args, limit), ScanFunc(func(s Scanner) error {
		row := credits.SpendRow{Currency: currency}
		if err := s.Scan(&row.Member, &row.Period, &row.Spent); err != nil {
			return err
		}
		out = append(out, row)
		return nil
	}))
	return out, err
}
