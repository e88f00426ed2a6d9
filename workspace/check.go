package workspace

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/charterhq/charter/role"
)

// This file checks a workspace against every invariant before a save.

// Check verifies the invariants and returns every violation.
func (w *Workspace) Check() error {
	if w.checkOnly {
		return ErrSnapshot
	}
	var errs []error
	owned := w.Owned()
	switch {
	case owned:
	case w.admins() == 0:
		errs = append(errs, fmt.Errorf("no owner and no admin: %w", ErrLastAdmin))
	case w.Owner != "" && w.Kind != Personal:
		errs = append(errs, fmt.Errorf("owner %q is not a member holding the owner role", w.Owner))
	case w.BillingContact != w.FirstAdmin():
		errs = append(errs, fmt.Errorf("billing contact %q is not the first admin %q", w.BillingContact, w.FirstAdmin()))
	}
	if w.Owner != "" && !owned && w.roles[w.Owner] == nil && w.Kind == Personal {
		errs = append(errs, fmt.Errorf("owner %q of the personal workspace is not a member", w.Owner))
	}
	if _, ok := w.members[w.BillingContact]; !ok {
		errs = append(errs, fmt.Errorf("billing contact %q is not a member", w.BillingContact))
	}
	errs = append(errs, w.checkTally(owned)...)
	// The members are checked in the map's order and the few that break a
	// rule reported in user order: sorting every member costs more than
	// the checks.
	var bad []memberError
	for u, m := range w.members {
		if err := w.checkMember(u, m, owned); err != nil {
			bad = append(bad, memberError{u, err})
		}
	}
	slices.SortFunc(bad, func(a, b memberError) int { return cmp.Compare(a.user, b.user) })
	for _, b := range bad {
		errs = append(errs, b.err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: workspace %s: %w", ErrInvalid, w.ID, errors.Join(errs...))
	}
	return nil
}

// memberError is a member's broken rule.
type memberError struct {
	user string
	err  error
}

// checkMember checks one member's record against its role, the owner and
// the plan.
func (w *Workspace) checkMember(u string, m Member, owned bool) error {
	switch {
	case m.Role != w.roles[u]:
		return fmt.Errorf("member %q has two roles", u)
	case m.User != u:
		return fmt.Errorf("member %q recorded as %q", u, m.User)
	case m.Role == nil:
		return fmt.Errorf("member %q has no role", u)
	case m.Role.Owner && (u != w.Owner || !owned):
		return fmt.Errorf("member %q holds the owner role but does not own the workspace", u)
	case !w.Plan.Offers(m.Role):
		return fmt.Errorf("member %q holds %s, which plan %s does not offer", u, m.Role.Name, w.Plan)
	case m.Role.Guest != (len(m.Projects) > 0):
		return fmt.Errorf("member %q is %s with %d projects", u, m.Role.Name, len(m.Projects))
	case m.Role.Seat == m.SeatSince.IsZero():
		return fmt.Errorf("member %q is %s with seat since %v", u, m.Role.Name, m.SeatSince)
	}
	return nil
}

// checkTally checks the rules that span every member against the tally:
// the owner role's holders, the admins, unknown roles and roles the plan
// offers. Of a whole workspace, it also recounts the tally.
func (w *Workspace) checkTally(owned bool) []error {
	var errs []error
	owners, want := 0, 0
	if owned {
		want = 1
	}
	for r, n := range w.tally {
		switch {
		case r == nil:
			errs = append(errs, fmt.Errorf("%d members hold a role the policy does not know", n))
		case !w.Plan.Offers(r):
			errs = append(errs, fmt.Errorf("%d members hold %s, which plan %s does not offer", n, r.Name, w.Plan))
		case r.Owner:
			owners += n
		}
	}
	if owners != want {
		errs = append(errs, fmt.Errorf("%d members hold the owner role, want %d", owners, want))
	}
	if !w.partial {
		recount := map[*role.Role]int{}
		for _, r := range w.roles {
			recount[r]++
		}
		if !maps.Equal(recount, w.tally) {
			// A copy, so that the count itself stays off the heap.
			members := make(map[*role.Role]int, len(recount))
			for r, n := range recount {
				members[r] = n
			}
			errs = append(errs, fmt.Errorf("role counts %v are not the members' %v", w.tally, members))
		}
	}
	return errs
}
