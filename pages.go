package charter

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/workspace"
)

// Page sizes.
const (
	// DefaultPageSize is the size of a page whose Limit is 0.
	DefaultPageSize = 100
	// MaxPageSize is the largest page a listing returns.
	MaxPageSize = 1000
)

// Page selects one page of a listing: up to Limit entries that come after
// the cursor After, in the listing's order. The zero Page is the first page
// of DefaultPageSize entries. A listing returns, with its page, the cursor
// of the next one, "" after the last: pass it back as After.
type Page struct {
	After string
	Limit int // 0 (DefaultPageSize) to MaxPageSize
}

// limit returns the page's size, or an ErrInvalid for one out of range.
func (p Page) limit() (int, error) {
	switch {
	case p.Limit == 0:
		return DefaultPageSize, nil
	case p.Limit < 0 || p.Limit > MaxPageSize:
		return 0, invalid("page limit %d outside 1..%d", p.Limit, MaxPageSize)
	}
	return p.Limit, nil
}

// Members lists one page of the members of the workspace with id, by user
// ID, for a member of it, and the cursor of the next page ("" after the
// last). Anyone else, and anyone asking for a workspace that does not
// exist, gets ErrNotFound.
func (s *Service) Members(ctx context.Context, actor, id string, page Page) ([]workspace.Member, string, error) {
	if err := s.check(ctx, isID("actor", actor), isID("workspace", id)); err != nil {
		return nil, "", err
	}
	limit, err := page.limit()
	if err != nil {
		return nil, "", err
	}
	var out []workspace.Member
	var next string
	err = s.in(ctx, actor, id, gate{op: membersOnly}, func(tx storage.Tx, _ *loaded) error {
		ms, err := tx.MembersPage(ctx, id, page.After, limit+1)
		if err != nil {
			return err
		}
		ms, next = nextPage(ms, limit, func(m storage.Member) string { return m.User })
		out = make([]workspace.Member, len(ms))
		for i, m := range ms {
			out[i] = s.member(m)
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return out, next, nil
}

// nextPage cuts items, read with one more than limit, to limit, and returns
// the cursor of the next page when there is one ("" otherwise): cursor of
// the page's last item.
func nextPage[T any](items []T, limit int, cursor func(T) string) ([]T, string) {
	if len(items) <= limit {
		return items, ""
	}
	return items[:limit], cursor(items[limit-1])
}

// A cursor of a listing in a composite order holds its last item's key as
// "number:text" (creation time in microseconds and ID; period and member).

func keyCursor(n int64, text string) string { return strconv.FormatInt(n, 10) + ":" + text }

func parseKeyCursor(after string) (int64, string, error) {
	num, text, ok := strings.Cut(after, ":")
	n, err := strconv.ParseInt(num, 10, 64)
	if !ok || err != nil {
		return 0, "", invalid("page cursor %q is not one this listing gave", after)
	}
	return n, text, nil
}

// invitationsAfter is the storage key of an invitation page's cursor.
func invitationsAfter(after string) (*storage.InvitationKey, error) {
	if after == "" {
		return nil, nil
	}
	micros, id, err := parseKeyCursor(after)
	if err != nil {
		return nil, err
	}
	return &storage.InvitationKey{Created: time.UnixMicro(micros).UTC(), ID: id}, nil
}

func invitationCursor(inv storage.Invitation) string {
	return keyCursor(inv.Created.UnixMicro(), inv.ID)
}

// spendAfter is the storage key of a spend table page's cursor.
func spendAfter(after string) (*storage.SpendKey, error) {
	if after == "" {
		return nil, nil
	}
	period, member, err := parseKeyCursor(after)
	if err != nil {
		return nil, err
	}
	return &storage.SpendKey{Period: period, Member: member}, nil
}

func spendCursor(r credits.SpendRow) string { return keyCursor(r.Period, r.Member) }

// seqAfter is the sequence number of a journal page's cursor.
func seqAfter(after string) (int64, error) {
	if after == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(after, 10, 64)
	if err != nil || n < 0 {
		return 0, invalid("page cursor %q is not one this listing gave", after)
	}
	return n, nil
}
