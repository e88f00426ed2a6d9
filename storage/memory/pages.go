package memory

import (
	"cmp"
	"context"

	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/storage"
)

// SpendRows computes the pool's whole spend table and returns one page of
// it: in memory, reading the journal costs no round trip.
func (t *tx) SpendRows(_ context.Context, ws, currency string, after *storage.SpendKey, limit int) ([]credits.SpendRow, error) {
	var entries []credits.Entry
	if j := t.s.entries[poolKey{ws, currency}]; j != nil {
		es := j.read(0, j.n)
		entries = make([]credits.Entry, len(es))
		for i, e := range es {
			entries[i] = e.Entry
		}
	}
	var out []credits.SpendRow
	for _, r := range credits.SpendTable(entries) {
		if len(out) == limit {
			break
		}
		if after == nil || cmp.Or(cmp.Compare(r.Period, after.Period), cmp.Compare(r.Member, after.Member)) > 0 {
			out = append(out, r)
		}
	}
	return out, nil
}
