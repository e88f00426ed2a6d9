package role_test

import (
	"testing"

	"github.com/charterhq/charter/role"
)

func roles() (owner, admin, member, guest *role.Role) {
	owner = &role.Role{Name: "owner", Index: 0, Owner: true, Admin: true, Rank: 100}
	admin = &role.Role{Name: "admin", Index: 1, Admin: true, Rank: 90}
	member = &role.Role{Name: "member", Index: 2, Rank: 50}
	guest = &role.Role{Name: "guest", Index: 3, Guest: true, Rank: 10}
	owner.Assigns = role.Set(0).With(admin).With(member).With(guest)
	admin.Assigns = owner.Assigns
	member.Assigns = role.Set(0).With(member).With(guest)
	return
}

func TestMayAssign(t *testing.T) {
	owner, admin, member, guest := roles()
	tests := []struct {
		from, to *role.Role
		want     bool
	}{
		{owner, admin, true},
		{owner, owner, false}, // ownership only moves by transfer
		{admin, admin, true},
		{admin, member, true},
		{member, member, true},
		{member, admin, false},
		{member, guest, true},
		{guest, guest, false},
		{nil, member, false},
		{admin, nil, false},
	}
	for _, tt := range tests {
		if got := tt.from.MayAssign(tt.to); got != tt.want {
			t.Errorf("%v.MayAssign(%v) = %t, want %t", tt.from, tt.to, got, tt.want)
		}
	}
}

func TestMayManage(t *testing.T) {
	owner, admin, member, guest := roles()
	tests := []struct {
		from, to *role.Role
		want     bool
	}{
		{admin, owner, false},
		{owner, owner, false},
		{admin, admin, true},
		{admin, guest, true},
		{member, admin, false},
		{member, member, true},
		{guest, nil, false},
	}
	for _, tt := range tests {
		if got := tt.from.MayManage(tt.to); got != tt.want {
			t.Errorf("%v.MayManage(%v) = %t, want %t", tt.from, tt.to, got, tt.want)
		}
	}
}

func TestSet(t *testing.T) {
	owner, admin, member, guest := roles()
	all := []*role.Role{owner, admin, member, guest}
	s := role.Set(0).With(guest).With(owner)
	if got, want := s.Format(all), "owner, guest"; got != want {
		t.Errorf("Format = %q, want %q", got, want)
	}
	if s.Has(admin) || !s.Has(guest) || s.Len() != 2 {
		t.Errorf("Set %b: Has(admin)=%t Has(guest)=%t Len=%d", s, s.Has(admin), s.Has(guest), s.Len())
	}
}
