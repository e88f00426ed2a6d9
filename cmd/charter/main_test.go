package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charterhq/charter/policy"
)

const (
	creditPool = "../../testdata/policies/credit-pool.yaml"
	teamGuests = "../../testdata/policies/team-guests.yaml"
	badPolicy  = "testdata/bad-policy.yaml"
)

func TestRun(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   []string // substrings of stdout; most end a line
		stderr   []string // substrings of stderr
		noOut    bool     // stdout must be empty
		exactErr string   // all of stderr, when set
	}{
		// check
		{
			name:   "check ok",
			args:   []string{"check", creditPool, teamGuests},
			code:   exitOK,
			stdout: []string{"ok " + creditPool + " (credit-pool: 4 roles, 13 actions, 1 plan)\n", "ok " + teamGuests + " (team-guests: 4 roles, 13 actions, 2 plans)\n", "checked 2 files: 2 ok\n"},
		},
		{
			name:   "check bad policy",
			args:   []string{"check", badPolicy},
			code:   exitFailure,
			stdout: []string{"checked 1 file: 0 ok, 1 with errors (3 errors)\n"},
			exactErr: `testdata/bad-policy.yaml:5:22: role "editor": unknown field "colour"
testdata/bad-policy.yaml:12:25: permissions: "edit": unknown role "writer"
testdata/bad-policy.yaml:13:16: billing action "pay" granted to non-admin role "editor" (role declared at testdata/bad-policy.yaml:5:3)
`,
		},
		{
			name:   "check reports the good files and fails for the bad one",
			args:   []string{"check", badPolicy, creditPool},
			code:   exitFailure,
			stdout: []string{"ok " + creditPool + " (credit-pool: 4 roles, 13 actions, 1 plan)\n", "checked 2 files: 1 ok, 1 with errors (3 errors)\n"},
			stderr: []string{`testdata/bad-policy.yaml:12:25: permissions: "edit": unknown role "writer"` + "\n"},
		},
		{
			name:   "check missing file",
			args:   []string{"check", "testdata/no-such.yaml"},
			code:   exitFailure,
			stdout: []string{"checked 1 file: 0 ok, 1 with errors (1 error)\n"},
			stderr: []string{"testdata/no-such.yaml: no such file or directory\n"},
		},

		// matrix
		{
			name: "matrix",
			args: []string{"matrix", creditPool},
			code: exitOK,
			stdout: []string{
				"| Action | owner | admin | editor | reviewer | Cost | Billing |\n",
				"| --- | --- | --- | --- | --- | --- | --- |\n",
				"| Create visuals | ✅ | ✅ | ✅ |  | 1 credits |  |\n",
				"| Manage credit pool | ✅ | ✅ |  |  |  | yes |\n",
				"| Transfer ownership | ✅ |  |  |  |  |  |\n",
			},
		},
		{
			name:   "matrix bad policy",
			args:   []string{"matrix", badPolicy},
			code:   exitFailure,
			noOut:  true,
			stderr: []string{"testdata/bad-policy.yaml:5:22: "},
		},

		// explain
		{
			name:   "explain allowed",
			args:   []string{"explain", teamGuests, "-role", "admin", "-action", "remove_members"},
			code:   exitOK,
			stdout: []string{"allowed: admin may remove_members (../../testdata/policies/team-guests.yaml:147:3)\n"},
		},
		{
			name:   "explain denied by the permission table",
			args:   []string{"explain", teamGuests, "-role", "member", "-plan", "business", "-action", "remove_members"},
			code:   exitFailure,
			stdout: []string{"denied: member may not remove_members (../../testdata/policies/team-guests.yaml:147:3)\n"},
		},
		{
			name:   "explain role not offered on the default plan",
			args:   []string{"explain", teamGuests, "-role", "member", "-action", "browse_projects"},
			code:   exitFailure,
			stdout: []string{"denied: plan starter does not offer role member ("},
		},
		{
			name:   "explain plan lacks feature",
			args:   []string{"explain", teamGuests, "-role", "admin", "-action", "toggle_guest_access", "-plan", "starter"},
			code:   exitFailure,
			stdout: []string{"denied: plan starter lacks feature guest_control required by toggle_guest_access ("},
		},
		{
			name:   "explain owner",
			args:   []string{"explain", creditPool, "-role", "owner", "-action", "delete_workspace", "-kind", "personal"},
			code:   exitOK,
			stdout: []string{"allowed: owner may delete_workspace ("},
		},
		{
			name:   "explain guest on a granted project, flags before the file",
			args:   []string{"explain", "-role", "guest", "-action", "view_project", teamGuests, "-project", "roadmap", "-granted", "design,roadmap"},
			code:   exitOK,
			stdout: []string{"allowed: guest may view_project ("},
		},
		{
			name:   "explain guest off its projects",
			args:   []string{"explain", teamGuests, "-role", "guest", "-action", "view_project", "-project", "roadmap", "-granted", "design"},
			code:   exitFailure,
			stdout: []string{`denied: guest role guest may view_project only on granted projects, not "roadmap" (../../testdata/policies/team-guests.yaml:36:12)` + "\n"},
		},
		{
			name:   "explain guests disabled",
			args:   []string{"explain", teamGuests, "-role", "guest", "-action", "view_project", "-project", "a", "-granted", "a", "-guests-disabled"},
			code:   exitFailure,
			stdout: []string{"denied: guests are disabled in this workspace ("},
		},
		{
			name:   "explain bad policy",
			args:   []string{"explain", badPolicy, "-role", "owner", "-action", "edit"},
			code:   exitFailure,
			noOut:  true,
			stderr: []string{"testdata/bad-policy.yaml:5:22: "},
		},

		// test
		{
			name:   "test credit-pool cases",
			args:   []string{"test", creditPool, "testdata/credit-pool-cases.yaml"},
			code:   exitOK,
			stdout: []string{"54 passed, 0 failed\n"},
		},
		{
			name:   "test team-guests cases",
			args:   []string{"test", teamGuests, "testdata/team-guests-cases.yaml"},
			code:   exitOK,
			stdout: []string{"37 passed, 0 failed\n"},
		},
		{
			name: "test verbose",
			args: []string{"test", "-v", teamGuests, "testdata/team-guests-cases.yaml"},
			code: exitOK,
			stdout: []string{
				"testdata/team-guests-cases.yaml:14: ok member browse_projects (plan business): allowed: member may browse_projects (",
				"37 passed, 0 failed\n",
			},
		},
		{
			name: "test wrong cases",
			args: []string{"test", teamGuests, "testdata/wrong-cases.yaml"},
			code: exitFailure,
			stdout: []string{
				"testdata/wrong-cases.yaml:3: FAIL member remove_members (plan business): want allowed, got denied: member may not remove_members (../../testdata/policies/team-guests.yaml:147:3)\n",
				"testdata/wrong-cases.yaml:4: FAIL guest browse_projects (granted [roadmap]): want denied (guest not on project), got denied: guest may not browse_projects (../../testdata/policies/team-guests.yaml:144:3)\n",
				"2 passed, 2 failed\n",
			},
		},
		{
			name:  "test malformed cases",
			args:  []string{"test", teamGuests, "testdata/malformed-cases.yaml"},
			code:  exitFailure,
			noOut: true,
			exactErr: `charter: testdata/malformed-cases.yaml:1:54: unknown field "colour" (fields: role, action, plan, kind, project, granted, guests_disabled, allow, reason)
charter: testdata/malformed-cases.yaml:2:41: field "role" repeated (first at 2:4)
charter: testdata/malformed-cases.yaml:3:48: allow: cannot unmarshal !!str ` + "`maybe`" + ` into bool
charter: testdata/malformed-cases.yaml:4:26: granted: cannot unmarshal !!str ` + "`roadmap`" + ` into []string
charter: testdata/malformed-cases.yaml:5:42: unknown reason "nope" (reasons: allowed, no workspace, unknown action, not a member, unknown role, unknown plan, wrong workspace kind, role lacks action, plan lacks feature, role not offered, guests disabled, guest not on project, insufficient credits, outside allowance)
charter: testdata/malformed-cases.yaml:6:3: a case is a mapping, e.g. {role: editor, action: edit, allow: true}
charter: testdata/malformed-cases.yaml:7:54: reason "role lacks action" contradicts allow: true
charter: testdata/malformed-cases.yaml:8:3: case needs action
charter: testdata/malformed-cases.yaml:8:3: case needs allow
`,
		},
		{
			name:   "test cases that do not fit the policy",
			args:   []string{"test", creditPool, "testdata/team-guests-cases.yaml"},
			code:   exitFailure,
			stdout: []string{`testdata/team-guests-cases.yaml:14: FAIL member browse_projects (plan business): policy credit-pool has no action "browse_projects" (actions: create_visuals, `},
		},

		// fmt
		{
			name:   "fmt",
			args:   []string{"fmt", teamGuests},
			code:   exitOK,
			stdout: []string{"policy: team-guests\n", "permissions:\n"},
		},

		// help and usage errors
		{name: "no arguments", args: nil, code: exitUsage, noOut: true, stderr: []string{"usage:\n  charter check FILE|DIR...\n"}},
		{name: "help", args: []string{"help"}, code: exitOK, stdout: []string{"usage:\n", "  charter test [-v] FILE CASES.yaml\n"}},
		{name: "help explain", args: []string{"help", "explain"}, code: exitOK, stdout: []string{"usage: charter explain FILE -role ROLE -action ACTION", "-guests-disabled"}},
		{name: "help unknown", args: []string{"help", "frobnicate"}, code: exitUsage, stderr: []string{`charter: help: unknown command "frobnicate"`}},
		{name: "-h", args: []string{"check", "-h"}, code: exitOK, stderr: []string{"usage: charter check FILE|DIR...\n"}},
		{name: "unknown command", args: []string{"frobnicate"}, code: exitUsage, noOut: true, stderr: []string{`charter: unknown command "frobnicate"`}},
		{name: "check without files", args: []string{"check"}, code: exitUsage, noOut: true, stderr: []string{"charter check: want at least 1 file argument(s)\n", "usage: charter check FILE|DIR...\n"}},
		{name: "matrix two files", args: []string{"matrix", creditPool, teamGuests}, code: exitUsage, noOut: true, stderr: []string{"charter matrix: want one file argument\n"}},
		{name: "test a policy as a suite", args: []string{"test", creditPool}, code: exitFailure, stderr: []string{"credit-pool.yaml:13:1: this is a policy, not a suite"}},
		{name: "unknown flag", args: []string{"check", "-x", creditPool}, code: exitUsage, noOut: true, stderr: []string{"flag provided but not defined: -x\n"}},
		{name: "explain without role", args: []string{"explain", teamGuests, "-action", "own_data"}, code: exitUsage, noOut: true, stderr: []string{"charter explain: -role and -action are required\n"}},
		{
			name: "explain unknown role", args: []string{"explain", teamGuests, "-role", "viewer", "-action", "own_data"},
			code: exitUsage, noOut: true,
			stderr: []string{`charter explain: policy team-guests has no role "viewer" (roles: admin, member, guest, owner)` + "\n"},
		},
		{
			name: "explain unknown plan", args: []string{"explain", teamGuests, "-role", "admin", "-action", "own_data", "-plan", "pro"},
			code: exitUsage, noOut: true,
			stderr: []string{`charter explain: policy team-guests has no plan "pro" (plans: starter, business)` + "\n"},
		},
		{
			name: "explain unknown kind", args: []string{"explain", teamGuests, "-role", "admin", "-action", "own_data", "-kind", "team"},
			code: exitUsage, noOut: true,
			stderr: []string{`charter explain: workspace: unknown kind "team" (want personal or shared)` + "\n"},
		},
		{
			name: "explain guest without projects", args: []string{"explain", teamGuests, "-role", "guest", "-action", "view_project"},
			code: exitUsage, noOut: true,
			stderr: []string{"charter explain: role guest is a guest role: name the projects granted to it\n"},
		},
		{
			name: "explain projects for a non-guest", args: []string{"explain", teamGuests, "-role", "admin", "-action", "view_project", "-granted", "a"},
			code: exitUsage, noOut: true,
			stderr: []string{"charter explain: role admin is not a guest role: it reaches every project, none is granted\n"},
		},
		{
			name: "everything after -- is a file", args: []string{"check", "--", "-role"},
			code:   exitFailure,
			stderr: []string{"-role: no such file or directory\n"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.args, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("run(%q) = %d, want %d\nstdout:\n%s\nstderr:\n%s", tt.args, code, tt.code, &stdout, &stderr)
			}
			for _, want := range tt.stdout {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("run(%q) stdout:\n%s\nwant it to hold %q", tt.args, &stdout, want)
				}
			}
			for _, want := range tt.stderr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("run(%q) stderr:\n%s\nwant it to hold %q", tt.args, &stderr, want)
				}
			}
			if tt.noOut && stdout.Len() > 0 {
				t.Errorf("run(%q) stdout:\n%s\nwant none", tt.args, &stdout)
			}
			if tt.exactErr != "" && stderr.String() != tt.exactErr {
				t.Errorf("run(%q) stderr:\n%s\nwant:\n%s", tt.args, &stderr, tt.exactErr)
			}
		})
	}
}

// TestFmtRoundTrip checks that what fmt prints loads as the same policy.
func TestFmtRoundTrip(t *testing.T) {
	files, err := filepath.Glob("../../testdata/policies/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no seed policies: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run([]string{"fmt", file}, &stdout, &stderr); code != exitOK {
				t.Fatalf("run(fmt %s) = %d, stderr:\n%s", file, code, &stderr)
			}
			want, err := policy.LoadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			got, err := policy.Load(file, stdout.Bytes())
			if err != nil {
				t.Fatalf("fmt output does not load: %v\n%s", err, &stdout)
			}
			if got.Matrix() != want.Matrix() || !bytes.Equal(got.YAML(), want.YAML()) {
				t.Errorf("fmt %s: reloaded policy differs:\n%s", file, &stdout)
			}
		})
	}
}
