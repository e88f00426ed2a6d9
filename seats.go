package charter

import (
	"context"
	"math/big"
	"time"

	"github.com/charterhq/charter/plan"
	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/workspace"
)

// seatChange records the seat charge or credit that follows from a member's
// change from before to after (either may be nil: joining, leaving), priced by
// p. Holding a seat before and after, with the same start, records nothing.
func (s *Service) seatChange(ctx context.Context, tx storage.Tx, wsID, actor string, p *plan.Plan, before, after *workspace.Member, now time.Time) error {
	had := before != nil && before.Role != nil && before.Role.Seat
	has := after != nil && after.Role != nil && after.Role.Seat
	if had && has && before.SeatSince.Equal(after.SeatSince) {
		return nil
	}
	price := p.SeatPrice
	if price.Amount <= 0 {
		return nil
	}
	if had {
		credit := proRata(price, before.SeatSince, now)
		if credit > 0 {
			if err := s.record(ctx, tx, wsID, actor, now, event{
				Type: EventSeatCredited, Subject: before.User, Amount: credit, Currency: price.Currency,
				Before: memberState{Role: before.Role.Name},
			}); err != nil {
				return err
			}
		}
	}
	if has {
		return s.record(ctx, tx, wsID, actor, now, event{
			Type: EventSeatCharged, Subject: after.User, Amount: price.Amount, Currency: price.Currency,
			After: memberState{Role: after.Role.Name},
		})
	}
	return nil
}

// proRata returns the invoice credit for a seat started at since and ended at
// now: the price times the unused fraction of the seat's current period,
// rounded down to a whole minor unit. It is never more than price.Amount and
// never negative.
func proRata(price plan.Price, since, now time.Time) int64 {
	if price.Every.IsZero() || price.Amount <= 0 || now.Before(since) {
		return 0
	}
	start, end := price.Every.Bounds(since, now)
	// In microseconds (times are kept to the microsecond), from Unix
	// times: Time.Sub saturates at about 292 years, and a period may be up
	// to 1000 years long.
	unused, length := micros(end)-micros(now), micros(end)-micros(start)
	if unused <= 0 || length <= 0 {
		return 0
	}
	// price * unused / length, exactly: the product can overflow int64.
	q := new(big.Int).Mul(big.NewInt(price.Amount), big.NewInt(unused))
	q.Quo(q, big.NewInt(length))
	return min(q.Int64(), price.Amount)
}

// micros returns t as microseconds since the Unix epoch.
func micros(t time.Time) int64 {
	return t.Unix()*1e6 + int64(t.Nanosecond()/1e3)
}
