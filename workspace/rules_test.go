package workspace_test

import (
	"errors"
	"testing"

	"github.com/charterhq/charter/role"
	"github.com/charterhq/charter/workspace"
)

// TestCheckRoleChange: the ownership and membership rules of a role change,
// in their order.
func TestCheckRoleChange(t *testing.T) {
	w, r := newWS(t)
	owner, admin, viewer, guest := r[0], r[1], r[3], r[4]
	if err := w.Add("ada", admin, nil, t0); err != nil {
		t.Fatal(err)
	}
	if err := w.Add("gus", guest, []string{"p"}, t0); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, by, user string
		to             *role.Role
		want           error
	}{
		{"stranger", "olga", "nobody", viewer, workspace.ErrNotMember},
		{"the owner", "ada", "olga", viewer, workspace.ErrOwner},
		{"to the owner role", "olga", "ada", owner, workspace.ErrOwnerRole},
		{"own role", "ada", "ada", viewer, workspace.ErrOwnRole},
		{"same guest role", "olga", "gus", guest, nil},
		{"member to guest", "olga", "ada", guest, workspace.ErrToGuest},
		{"admin to viewer", "olga", "ada", viewer, nil},
		{"guest promoted", "olga", "gus", viewer, nil},
	}
	for _, tt := range tests {
		m, err := w.CheckRoleChange(tt.by, tt.user, tt.to)
		if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
		if tt.want == nil && m.User != tt.user {
			t.Errorf("%s: member %q, want %q", tt.name, m.User, tt.user)
		}
	}
}

// TestSetRoleMovesBillingContact: a billing contact who stops being an admin
// hands billing back to the owner.
func TestSetRoleMovesBillingContact(t *testing.T) {
	w, r := newWS(t)
	admin, viewer := r[1], r[3]
	if err := w.Add("ada", admin, nil, t0); err != nil {
		t.Fatal(err)
	}
	w.BillingContact = "ada"
	if err := w.SetRole("ada", viewer, nil, t0); err != nil {
		t.Fatal(err)
	}
	if w.BillingContact != "olga" {
		t.Errorf("billing contact %q, want the owner olga", w.BillingContact)
	}
}

// TestCountsGrown: a limit blocks a count that passes it and grows, not one
// already over it that does not grow.
func TestCountsGrown(t *testing.T) {
	_, _, _, _, _, basic := fixture() // members 3, seats 1, guests unlimited
	tests := []struct {
		before, after workspace.Counts
		want          []string
	}{
		{workspace.Counts{Members: 2}, workspace.Counts{Members: 3}, nil},
		{workspace.Counts{Members: 3}, workspace.Counts{Members: 4}, []string{"members"}},
		{workspace.Counts{Members: 5, Seats: 2}, workspace.Counts{Members: 5, Seats: 2}, nil},
		{workspace.Counts{Members: 5, Seats: 2}, workspace.Counts{Members: 4, Seats: 3}, []string{"seats"}},
		{workspace.Counts{Guests: 100}, workspace.Counts{Guests: 1000}, nil},
	}
	for _, tt := range tests {
		var got []string
		for _, e := range tt.after.Grown(tt.before, basic.Limits) {
			got = append(got, e.Limit)
		}
		if len(got) != len(tt.want) || (len(got) > 0 && got[0] != tt.want[0]) {
			t.Errorf("%+v -> %+v: %v, want %v", tt.before, tt.after, got, tt.want)
		}
	}
}
