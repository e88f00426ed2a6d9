package policy_test

import (
	"flag"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/charterhq/charter/internal/golden"
	"github.com/charterhq/charter/policy"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// seedPolicies are the policies of the five seed pages, in the pages' order.
var seedPolicies = []string{"spaces", "video-studio", "coins", "team-guests", "credit-pool"}

// TestMatrixGolden compares each seed policy's Matrix with
// testdata/matrix/<name>.golden. Regenerate with
//
//	go test ./policy -run TestMatrixGolden -update
func TestMatrixGolden(t *testing.T) {
	for _, name := range seedPolicies {
		t.Run(name, func(t *testing.T) {
			p := loadSeed(t, name)
			got := p.Matrix()
			if again := p.Matrix(); again != got {
				t.Fatalf("Matrix() is not deterministic:\n%s", cmp.Diff(got, again))
			}
			golden.Check(t, filepath.Join("testdata", "matrix", name+".golden"), got, *update)
		})
	}
}

// TestTable checks the structured table's facts beside the ticks on the
// seed policies: guests limited to granted projects, the plans offering a
// role, billing, costs, and the plans having an action's feature.
func TestTable(t *testing.T) {
	find := func(tb policy.Table, action string) policy.TableAction {
		t.Helper()
		for _, a := range tb.Actions {
			if a.Name == action {
				return a
			}
		}
		t.Fatalf("table %s has no action %q", tb.Policy, action)
		return policy.TableAction{}
	}
	cellOf := func(a policy.TableAction, role string) policy.TableCell {
		t.Helper()
		for _, c := range a.Cells {
			if c.Role == role {
				return c
			}
		}
		t.Fatalf("action %s has no cell for %q", a.Name, role)
		return policy.TableCell{}
	}

	tg := loadSeed(t, "team-guests").Table()
	if got := cellOf(find(tg, "view_project"), "guest"); got != (policy.TableCell{Role: "guest", Allowed: true, Limit: policy.GrantedOnly}) {
		t.Errorf("team-guests view_project guest cell = %+v, want allowed on granted projects only", got)
	}
	if got := cellOf(find(tg, "view_project"), "member"); got != (policy.TableCell{Role: "member", Allowed: true}) {
		t.Errorf("team-guests view_project member cell = %+v, want allowed without limit", got)
	}
	if got := cellOf(find(tg, "browse_projects"), "guest"); got.Allowed || got.Limit != "" {
		t.Errorf("team-guests browse_projects guest cell = %+v, want denied", got)
	}
	if got := find(tg, "control_billing"); !got.Billing || got.Scope != "workspace" {
		t.Errorf("team-guests control_billing = %+v, want a workspace-scoped billing action", got)
	}
	if got := find(tg, "toggle_guest_access"); got.Feature != "guest_control" || !cmp.Equal(got.Plans, []string{"business"}) {
		t.Errorf("team-guests toggle_guest_access feature %q on plans %q, want guest_control on [business]", got.Feature, got.Plans)
	}
	if got := find(tg, "own_data"); !cmp.Equal(got.Plans, []string{"starter", "business"}) {
		t.Errorf("team-guests own_data plans %q, want every plan", got.Plans)
	}
	for _, r := range tg.Roles {
		if r.Name == "member" && !cmp.Equal(r.Plans, []string{"business"}) {
			t.Errorf("team-guests member offered on %q, want [business]", r.Plans)
		}
	}

	vs := loadSeed(t, "video-studio").Table()
	if got := find(vs, "generate_video").Cost; got == nil || *got != (policy.TableCost{Currency: "credits", Amount: 1}) {
		t.Errorf("video-studio generate_video cost = %v, want 1 credits", got)
	}
	if got := find(vs, "view_results").Cost; got != nil {
		t.Errorf("video-studio view_results cost = %v, want none", got)
	}
	if row := vs.Row(find(vs, "generate_video")); !cmp.Equal(row, []string{"Generate Video", "", "✅", "✅", "✅", "1 credits", ""}) {
		t.Errorf("video-studio generate_video row = %q", row)
	}
}
