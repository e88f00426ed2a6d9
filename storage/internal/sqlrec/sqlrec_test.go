package sqlrec

import (
	"strings"
	"testing"
)

func TestBind(t *testing.T) {
	tests := []struct {
		name, query string
		ph          func(int) string
		f, want     string
	}{
		{"none", `SELECT 1`, Numbered, "false", `SELECT 1`},
		{"numbered", `SELECT a FROM t WHERE b = ? AND c = ?`, Numbered, "false", `SELECT a FROM t WHERE b = $1 AND c = $2`},
		{"question marks", `SELECT a FROM t WHERE b = ? AND c = ?`, func(int) string { return "?" }, "0", `SELECT a FROM t WHERE b = ? AND c = ?`},
		{"ten and more", strings.Repeat("?,", 11) + "?", Numbered, "false", "$1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12"},
		{"false literal", `WHERE revoked = FALSE AND x = ?`, Numbered, "0", `WHERE revoked = 0 AND x = $1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := bind(tt.query, tt.ph, tt.f); got != tt.want {
				t.Errorf("bind(%q) = %q, want %q", tt.query, got, tt.want)
			}
		})
	}
}

// TestStatementsBound checks that every statement of a numbered dialect
// has its placeholders numbered, and that the locking reads differ from
// the plain ones only by the lock.
func TestStatementsBound(t *testing.T) {
	d := (&Dialect[int64, string]{Placeholder: Numbered, False: "false", Lock: " FOR UPDATE"}).Init()
	if d.Q.WorkspaceLocked != d.Q.Workspace+" FOR UPDATE" || d.Q.PoolLocked != d.Q.Pool+" FOR UPDATE" {
		t.Errorf("locking reads %q, %q", d.Q.WorkspaceLocked, d.Q.PoolLocked)
	}
	for name, q := range map[string]string{"UpdateWorkspace": d.Q.UpdateWorkspace, "PutMember": d.Q.PutMember,
		"PendingInvitations": d.Q.PendingInvitations, "Access": d.Q.Access, "PutGrant": d.Q.PutGrant} {
		if strings.Contains(q, "?") || strings.Contains(q, "FALSE") {
			t.Errorf("%s is not bound: %s", name, q)
		}
	}
	if !strings.Contains(d.Q.UpdateWorkspace, "$16") || strings.Contains(d.Q.UpdateWorkspace, "$17") {
		t.Errorf("UpdateWorkspace takes 16 arguments: %s", d.Q.UpdateWorkspace)
	}
}
