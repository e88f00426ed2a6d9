package charter_test

import (
	"context"
	"fmt"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/policy"
	"github.com/charterhq/charter/storage/memory"
)

// ExampleService_SetPreferences changes a workspace's name, logo and the
// application's preferences under the policy's update_settings operation,
// and reads the events they recorded.
func ExampleService_SetPreferences() {
	ctx := context.Background()
	p, err := policy.Load("studio.yaml", []byte(`
policy: studio
roles:
  owner:  {owner: true, admin: true, rank: 100}
  editor: {rank: 10}
actions:
  edit_settings: {}
operations:
  update_settings: edit_settings
plans:
  team: {}
permissions:
  edit_settings: [owner]
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	s, _ := charter.New(p, memory.New(), charter.Options{})
	ws, _ := s.CreateWorkspace(ctx, "olga", "Studio", "")

	_ = s.Rename(ctx, "olga", ws.ID, "Studio North")
	_ = s.SetLogo(ctx, "olga", ws.ID, "https://cdn.example.com/north.png")
	_ = s.SetPreferences(ctx, "olga", ws.ID, map[string]string{"theme": "dark", "lang": "fr"}, nil)
	_ = s.SetPreferences(ctx, "olga", ws.ID, map[string]string{"theme": "dark"}, nil) // no change, no event
	_ = s.SetPreferences(ctx, "olga", ws.ID, nil, []string{"lang"})
	err = s.SetLogo(ctx, "olga", ws.ID, "javascript:alert(1)")
	fmt.Println(err)

	w, _ := s.Workspace(ctx, "olga", ws.ID)
	fmt.Println(w.Name, w.Logo, w.Preferences)
	es, _ := s.Events(ctx, ws.ID, 0, 100)
	for _, e := range es[1:] {
		fmt.Println(e.Type, string(e.Before), "->", string(e.After))
	}
	// Output:
	// charter: invalid request: logo is not an absolute http or https URL: "javascript:alert(1)"
	// Studio North https://cdn.example.com/north.png map[theme:dark]
	// workspace.renamed {"name":"Studio"} -> {"name":"Studio North"}
	// workspace.logo_changed {"logo":""} -> {"logo":"https://cdn.example.com/north.png"}
	// workspace.preferences_changed {"lang":null,"theme":null} -> {"lang":"fr","theme":"dark"}
	// workspace.preferences_changed {"lang":"fr"} -> {"lang":null}
}
