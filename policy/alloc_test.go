package policy

import "testing"

// TestCheckDoesNotAllocate pins the hot path at zero allocations, for
// allowed and denied answers alike.
func TestCheckDoesNotAllocate(t *testing.T) {
	p := loadDocExample(t)
	ws := studioWorkspace(t, p, "pro")
	a := p.Action("view_project")
	m, _ := ws.Member("gu")
	var sink bool
	var d Decision
	checks := []struct {
		name string
		f    func()
	}{
		{"Policy.Can", func() { sink = p.Can("ed", "generate_video", ws) }},
		{"Policy.Can denied", func() { sink = p.Can("gu", "invite_members", ws) }},
		{"Policy.Can non-member", func() { sink = p.Can("eve", "generate_video", ws) }},
		{"Policy.CanProject", func() { sink = p.CanProject("gu", "view_project", ws, "p1") }},
		{"Policy.Decide", func() { d = p.Decide("gu", "view_project", ws, "p2") }},
		{"Policy.Decide unknown action", func() { d = p.Decide("gu", "fly", ws, "p2") }},
		{"Action.Can", func() { sink = a.Can("ed", ws) }},
		{"Action.CanProject", func() { sink = a.CanProject("gu", ws, "p1") }},
		{"Action.Decide", func() { d = a.Decide("gu", ws, "p1") }},
		{"Action.Allows", func() { d = a.Allows(m.Role, ws, "p1", m.Projects) }},
		{"Action.Permits", func() { sink = a.Permits(m.Role, ws, "p1", m.Projects) }},
	}
	for _, c := range checks {
		if n := testing.AllocsPerRun(1000, c.f); n != 0 {
			t.Errorf("%s: %v allocations per run, want 0", c.name, n)
		}
	}
	_, _ = sink, d
}
