package workspace

import (
	"errors"
	"fmt"

	"github.com/charterhq/charter/plan"
	"github.com/charterhq/charter/role"
)

// This file counts a workspace's members against its plan's limits.

// Counts are the numbers the plan's limits bound.
type Counts struct {
	Members int // members who are not guests, the owner included
	Seats   int // members in paid-seat roles
	Guests  int // guests
}

// Counts counts the workspace's members, seats and guests (of a partial
// workspace, those it does not hold too).
func (w *Workspace) Counts() Counts {
	var c Counts
	if w.checkOnly && w.tally == nil {
		for _, r := range w.roles {
			c.Add(r, 1)
		}
		return c
	}
	for r, n := range w.tally {
		c.Add(r, n)
	}
	return c
}

// Add adds n holders of r to c (n may be negative).
func (c *Counts) Add(r *role.Role, n int) {
	if r == nil {
		return
	}
	if r.Guest {
		c.Guests += n
	} else {
		c.Members += n
	}
	if r.Seat {
		c.Seats += n
	}
}

// Within returns an error naming each limit of l that c exceeds.
func (c Counts) Within(l plan.Limits) error {
	var errs []error
	if !l.Members.Allows(c.Members) {
		errs = append(errs, &LimitError{Limit: "members", Max: int(l.Members), Count: c.Members})
	}
	if !l.Seats.Allows(c.Seats) {
		errs = append(errs, &LimitError{Limit: "seats", Max: int(l.Seats), Count: c.Seats})
	}
	if !l.Guests.Allows(c.Guests) {
		errs = append(errs, &LimitError{Limit: "guests", Max: int(l.Guests), Count: c.Guests})
	}
	return errors.Join(errs...)
}

// Grown returns a LimitError for each limit of l that c may not reach from
// before (plan.Limit.Admits): members, seats, guests, in that order.
func (c Counts) Grown(before Counts, l plan.Limits) []*LimitError {
	var out []*LimitError
	check := func(name string, lim plan.Limit, b, a int) {
		if !lim.Admits(b, a) {
			out = append(out, &LimitError{Limit: name, Max: int(lim), Count: a})
		}
	}
	check("members", l.Members, before.Members, c.Members)
	check("seats", l.Seats, before.Seats, c.Seats)
	check("guests", l.Guests, before.Guests, c.Guests)
	return out
}

// LimitError reports a count over a plan limit.
type LimitError struct {
	Limit string // "members", "seats", "guests" or "shared_workspaces"
	Max   int
	Count int
}

// Error names the limit, its maximum and the count that would exceed it.
func (e *LimitError) Error() string {
	return fmt.Sprintf("workspace: %s limit is %d, would be %d", e.Limit, e.Max, e.Count)
}
