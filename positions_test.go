package charter_test

import (
	"errors"
	"testing"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/workspace"
)

// TestKindRefusalsCarryPolicyPositions: the refusals that come from the policy
// outside a permission row name the line that decided them: sharing: deny
// for an invitation into a personal workspace, and a currency's declaration
// for its use in a kind where it does not exist.
func TestKindRefusalsCarryPolicyPositions(t *testing.T) {
	s := importService(t, "coins")
	home := need[*workspace.Workspace](t)(s.EnsurePersonal(ctx, "ann"))
	for _, tt := range []struct {
		name      string
		err       error
		line, col int
	}{
		{"invite into a personal workspace", func() error {
			_, err := s.Invite(ctx, "ann", home.ID, "bob@example.com", "collaborator")
			return err
		}(), 8, 10},
		{"coins in a personal workspace", func() error {
			_, err := s.Balance(ctx, "ann", home.ID, "coins")
			return err
		}(), 11, 3},
	} {
		var fe *charter.ForbiddenError
		if !errors.As(tt.err, &fe) {
			t.Errorf("%s: %v, want a ForbiddenError", tt.name, tt.err)
			continue
		}
		if p := fe.Decision.Pos; p.Line != tt.line || p.Col != tt.col {
			t.Errorf("%s: decided at %v, want line %d column %d", tt.name, p, tt.line, tt.col)
		}
	}
}
