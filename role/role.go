// Package role defines what a role means to charter: whether it is the single
// owner role, an admin role, a guest role, whether it occupies a paid seat and may
// spend credits, its rank, and which roles its holders may assign.
//
// Roles are declared in a policy file and compiled by package policy; a *Role is
// immutable after compilation and identified by its Index in that policy.
package role

import (
	"math/bits"
	"strings"
)

// Max is the largest number of roles one policy may declare. Role sets are
// 64-bit masks, so a check tests one bit.
const Max = 64

// Role is one compiled role of a policy. The zero value is not a valid role.
type Role struct {
	// Name is the role's name in the policy, e.g. "admin".
	Name string
	// Index is the role's position in its policy, 0 <= Index < Max. Sets of
	// roles are bit masks over Index.
	Index int
	// Owner marks the single owner role: exactly one per policy, held by
	// exactly one member of each workspace, never assigned directly.
	Owner bool
	// Admin marks roles allowed billing actions. The owner role is always
	// admin.
	Admin bool
	// Guest marks roles whose holders act only on projects granted to them.
	Guest bool
	// Seat marks roles that occupy a paid seat.
	Seat bool
	// Spends marks roles that may spend credits and hold an allowance.
	Spends bool
	// Rank orders roles by power: nobody assigns a role of a higher rank than
	// their own. The owner role has the highest rank of its policy.
	Rank int
	// Assigns is the set of roles a holder of this role may give to others,
	// by invitation or role change. It never holds a role of higher Rank.
	Assigns Set
}

// Bit returns the role's bit in a Set.
func (r *Role) Bit() Set { return 1 << uint(r.Index) }

// MayAssign reports whether a holder of r may give role to another person.
// Nobody may assign the owner role: ownership moves only by transfer.
func (r *Role) MayAssign(to *Role) bool {
	return r != nil && to != nil && !to.Owner && r.Assigns.Has(to) && to.Rank <= r.Rank
}

// MayManage reports whether a holder of r may change or remove a member who
// holds role other: never the owner, never someone of a higher rank.
func (r *Role) MayManage(other *Role) bool {
	return r != nil && other != nil && !other.Owner && other.Rank <= r.Rank
}

// String returns the role's name.
func (r *Role) String() string {
	if r == nil {
		return "<none>"
	}
	return r.Name
}

// Set is a set of roles of one policy, as a bit mask over Role.Index.
type Set uint64

// Has reports whether r is in s.
func (s Set) Has(r *Role) bool { return r != nil && s&r.Bit() != 0 }

// With returns s with r added.
func (s Set) With(r *Role) Set { return s | r.Bit() }

// Len returns the number of roles in s.
func (s Set) Len() int { return bits.OnesCount64(uint64(s)) }

// Names returns the names of the roles in s, in the order of roles, which is
// indexed by Role.Index.
func (s Set) Names(roles []*Role) []string {
	var names []string
	for _, r := range roles {
		if s.Has(r) {
			names = append(names, r.Name)
		}
	}
	return names
}

// Format returns the names of the roles in s joined by ", ".
func (s Set) Format(roles []*Role) string { return strings.Join(s.Names(roles), ", ") }
