package workspace

import (
	"fmt"
	"slices"
	"time"

	"github.com/charterhq/charter/role"
)

// This file holds the membership changes and the rules each keeps: adding,
// changing a role, granting projects, removing and transferring ownership.

// Add makes user a member with role r. Guests need at least one project;
// others get none.
func (w *Workspace) Add(user string, r *role.Role, projects []string, now time.Time) error {
	if err := w.changeable(); err != nil {
		return err
	}
	if user == "" || r == nil {
		return fmt.Errorf("%w: member needs a user and a role", ErrInvalid)
	}
	if _, ok := w.members[user]; ok {
		return fmt.Errorf("%w: %s", ErrMember, user)
	}
	if err := w.checkRole(r, projects); err != nil {
		return err
	}
	m := Member{User: user, Role: r, Projects: normalize(projects), Joined: now.UTC()}
	if r.Seat {
		m.SeatSince = m.Joined
	}
	w.set(m)
	if r.Admin && !w.Owned() {
		// The first admin, unless the contact joined earlier (or at the
		// same moment with a smaller user ID).
		if c, ok := w.members[w.BillingContact]; !ok || m.Joined.Before(c.Joined) || (m.Joined.Equal(c.Joined) && user < c.User) {
			w.BillingContact = user
		}
	}
	return nil
}

func (w *Workspace) checkRole(r *role.Role, projects []string) error {
	switch {
	case r.Owner:
		return ErrOwnerRole
	case !w.Plan.Offers(r):
		return fmt.Errorf("%w: plan %s does not offer %s", ErrNotOffered, w.Plan.Name, r.Name)
	case r.Guest && len(projects) == 0:
		return ErrNoProjects
	case !r.Guest && len(projects) > 0:
		return ErrNotGuest
	case r.Guest && w.Settings.GuestsDisabled:
		return ErrGuestsClosed
	}
	return nil
}

func normalize(projects []string) []string {
	if len(projects) == 0 {
		return nil
	}
	p := slices.Clone(projects)
	slices.Sort(p)
	return slices.Compact(p)
}

// CheckRoleChange checks the rules of ownership and membership for by giving
// user role r, and returns user's membership: user is a member
// (ErrNotMember), not the owner (ErrOwner: the owner's role changes only by
// transfer), r is not the owner role (ErrOwnerRole), by is not user
// (ErrOwnRole: nobody changes their own role, so admins cannot demote
// themselves), unless user already holds r, r is not a guest role
// (ErrToGuest), and, without an owner, user is not the last admin being
// demoted (ErrLastAdmin). Who may assign r and manage user is the policy's business
// (role.MayAssign, role.MayManage).
func (w *Workspace) CheckRoleChange(by, user string, r *role.Role) (Member, error) {
	if err := w.changeable(); err != nil {
		return Member{}, err
	}
	m, ok := w.members[user]
	switch {
	case !ok:
		return Member{}, fmt.Errorf("%w: %s", ErrNotMember, user)
	case user == w.Owner:
		return m, ErrOwner
	case r == nil:
		return m, fmt.Errorf("%w: nil role", ErrInvalid)
	case r.Owner:
		return m, ErrOwnerRole
	case user == by:
		return m, ErrOwnRole
	case m.Role == r:
		return m, nil
	case r.Guest:
		return m, ErrToGuest
	case w.lastAdmin(user, r):
		return m, ErrLastAdmin
	}
	return m, nil
}

// SetRole changes user's role to r. A guest promoted to another role loses
// their project grants (they now reach every project); a member made a guest
// needs projects. A billing contact whose new role is not an admin role
// hands billing back to the owner; without an owner, the billing contact is
// the first admin after the change, and the last admin is not demoted
// (ErrLastAdmin).
func (w *Workspace) SetRole(user string, r *role.Role, projects []string, now time.Time) error {
	if err := w.changeable(); err != nil {
		return err
	}
	m, ok := w.members[user]
	if !ok {
		return fmt.Errorf("%w: %s", ErrNotMember, user)
	}
	if user == w.Owner {
		return ErrOwner
	}
	if r == nil {
		return fmt.Errorf("%w: nil role", ErrInvalid)
	}
	if err := w.checkRole(r, projects); err != nil {
		return err
	}
	if w.lastAdmin(user, r) {
		return ErrLastAdmin
	}
	m.SeatSince = seatSince(m, r, now)
	m.Role, m.Projects = r, normalize(projects)
	w.set(m)
	if !w.Owned() {
		w.rebill()
	} else if w.BillingContact == user && !r.Admin {
		w.BillingContact = w.Owner
	}
	return nil
}

// seatSince returns when m's seat started once m holds r: unchanged while a
// seat is kept, now when one is taken, zero when none is held.
func seatSince(m Member, r *role.Role, now time.Time) time.Time {
	switch {
	case !r.Seat:
		return time.Time{}
	case m.Role != nil && m.Role.Seat && !m.SeatSince.IsZero():
		return m.SeatSince
	}
	return now.UTC()
}

// Grant adds projects to a guest's grants.
func (w *Workspace) Grant(user string, projects ...string) error {
	if err := w.changeable(); err != nil {
		return err
	}
	m, ok := w.members[user]
	switch {
	case !ok:
		return fmt.Errorf("%w: %s", ErrNotMember, user)
	case !m.Role.Guest:
		return ErrNotGuest
	case len(projects) == 0:
		return ErrNoProjects
	}
	m.Projects = normalize(append(slices.Clone(m.Projects), projects...))
	w.set(m)
	return nil
}

// Remove ends user's membership. The owner cannot be removed; without an
// owner, the last admin cannot (ErrLastAdmin), and the billing contact moves
// to the next first admin. The user whose personal workspace it is stays
// its Owner only while a member.
func (w *Workspace) Remove(user string) (Member, error) {
	if err := w.changeable(); err != nil {
		return Member{}, err
	}
	m, ok := w.members[user]
	if !ok {
		return Member{}, fmt.Errorf("%w: %s", ErrNotMember, user)
	}
	owned := w.Owned()
	switch {
	case owned && user == w.Owner:
		return Member{}, ErrOwner
	case w.lastAdmin(user, nil):
		return Member{}, ErrLastAdmin
	}
	w.remove(user)
	switch {
	case !owned:
		if user == w.Owner {
			w.Owner = ""
		}
		w.rebill()
	case w.BillingContact == user:
		w.BillingContact = w.Owner
	}
	return m, nil
}

// Transfer makes the admin to the owner; the previous owner takes to's former
// role, which is an admin role. Nothing else changes, except that the billing
// contact follows the ownership.
func (w *Workspace) Transfer(to string, now time.Time) error {
	if err := w.changeable(); err != nil {
		return err
	}
	m, ok := w.members[to]
	switch {
	case !ok:
		return fmt.Errorf("%w: %s", ErrNotMember, to)
	case !w.Owned():
		return fmt.Errorf("%w: the workspace has no owner to transfer", ErrInvalid)
	case to == w.Owner:
		return fmt.Errorf("%w: %s already owns the workspace", ErrInvalid, to)
	case m.Role == nil || !m.Role.Admin || m.Role.Guest:
		return fmt.Errorf("%w: %s is %s", ErrNotAdmin, to, m.Role)
	}
	prev := w.members[w.Owner]
	prev.SeatSince, m.SeatSince = seatSince(prev, m.Role, now), seatSince(m, prev.Role, now)
	prev.Role, m.Role = m.Role, prev.Role
	w.set(prev)
	w.set(m)
	w.Owner, w.BillingContact = to, to
	return nil
}
