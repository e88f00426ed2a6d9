package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charterhq/charter/policy"
)

// TestShippedSuites runs every suite in testdata/suites, as "make test"
// does through go test, and checks that every shipped policy has one.
func TestShippedSuites(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"test", "../../testdata/suites"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("charter test ../../testdata/suites = %d\nstdout:\n%s\nstderr:\n%s", code, &stdout, &stderr)
	}
	if !strings.HasSuffix(stdout.String(), " passed, 0 failed\n") {
		t.Errorf("stdout:\n%s\nwant it to end in N passed, 0 failed", &stdout)
	}

	suites, err := filepath.Glob("../../testdata/suites/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tested := make(map[string]int) // policy file -> scenarios
	used := make(map[string]bool)  // verbs
	for _, file := range suites {
		s, _, err := loadSuite(file)
		if err != nil {
			t.Fatalf("loadSuite(%s): %v", file, err)
		}
		tested[filepath.Clean(s.policyPath)] += len(s.scenarios)
		for _, sc := range s.scenarios {
			for _, st := range slices.Concat(s.setup, sc.steps) {
				used[st.verb] = true
			}
		}
	}
	for _, v := range verbNames {
		if !used[v] {
			t.Errorf("no shipped suite uses verb %s", v)
		}
	}
	policies, err := filepath.Glob("../../testdata/policies/*.yaml")
	if err != nil || len(policies) == 0 {
		t.Fatalf("no shipped policies: %v", err)
	}
	for _, p := range policies {
		if n := tested[filepath.Clean(p)]; n < 5 {
			t.Errorf("policy %s: %d scenarios in testdata/suites, want at least 5", p, n)
		}
	}
}

// TestSuiteFailures checks what a failing suite prints: each failing step
// with its position in the suite and what happened, the decision with the
// position of the policy's rule, and the counts.
func TestSuiteFailures(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"test", "testdata/suites/failing.yaml"}, &stdout, &stderr)
	if code != exitFailure {
		t.Errorf("code = %d, want %d", code, exitFailure)
	}
	if stderr.Len() > 0 {
		t.Errorf("stderr:\n%s\nwant none", &stderr)
	}
	const policy = "../../testdata/policies/spaces.yaml"
	want := `testdata/suites/failing.yaml:5:5: FAIL case member invite_people: want allowed, got denied: member may not invite_people (` + policy + `:153:3)
testdata/suites/failing.yaml:20:9: step "member uses pro": want allowed, got denied: plan free lacks feature pro_features required by use_pro_features (` + policy + `:77:14)
testdata/suites/failing.yaml:28:9: step "invite carol@example.com by bob": want ok, got forbidden: charter: invite forbidden: denied: member may not invite_people (` + policy + `:153:3)
testdata/suites/failing.yaml:33:9: step "remove bob by olivia": want forbidden, got ok
testdata/suites/failing.yaml:38:9: step "remove olivia by bob": want invalid, got forbidden: charter: remove forbidden: denied: member may not remove_people (` + policy + `:154:3)
testdata/suites/failing.yaml:43:9: step "change_plan pro by bob": want forbidden (plan lacks feature), got forbidden: charter: change_plan forbidden: denied: member may not upgrade_space (` + policy + `:156:3)
testdata/suites/failing.yaml:52:9: step "balance 9 by bob": want balance 9, got 8 ai_credits
testdata/suites/failing.yaml:56:9: step "workspace team": want owner bob, got olivia; want members {olivia: owner}, got {bob: member, olivia: owner}
testdata/suites/failing.yaml:61:9: step "event member.removed": want event member.removed, got [workspace.created olivia, invitation.created inv_ID, member.added bob]
testdata/suites/failing.yaml:64:9: step "clock 2025-12-31": the clock would go back from 2026-01-01T00:00:00Z to 2025-12-31T00:00:00Z
FAIL testdata/suites/failing.yaml: 9 of 10 scenarios and 1 of 2 cases failed
2 passed, 10 failed
`
	got := regexp.MustCompile(`inv_[0-9a-f]+`).ReplaceAllString(stdout.String(), "inv_ID")
	if got != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", got, want)
	}
}

// TestSuiteLoadErrors checks that every mistake in a suite is reported,
// once, at its line and column, before anything runs.
func TestSuiteLoadErrors(t *testing.T) {
	tests := []struct {
		file, stderr string
	}{
		{"testdata/suites/malformed.yaml", `testdata/suites/malformed.yaml:3:1: unknown field "strat" in a suite (did you mean "start"?) (fields: policy, start, cases, setup, scenarios)
testdata/suites/malformed.yaml:9:9: unknown field "plna" in create (did you mean "plan"?) (its fields: by, kind, plan, name, want, reason, limit, error)
testdata/suites/malformed.yaml:10:9: check needs want: allowed or denied
testdata/suites/malformed.yaml:12:9: a step needs a verb (did you mean "check"?) (one of create, invite, link, accept, revoke, grant, change_role, transfer, remove, leave, change_plan, guests, delete, fund, allowance, spend, refund, pay, earn, clock, check, balance, workspace, event)
testdata/suites/malformed.yaml:21:9: accept: no invitation "bob@exmaple.com" is made before this step (did you mean "bob@example.com"?)
testdata/suites/malformed.yaml:24:9: in: no workspace "teem" is created before this step (did you mean "team"?)
testdata/suites/malformed.yaml:27:9: a step has one verb: spend and check (at 26:9)
testdata/suites/malformed.yaml:29:9: fund: want an integer amount, got "ten"
testdata/suites/malformed.yaml:31:9: clock: want +DURATION (e.g. +30d) or a date (e.g. 2026-03-01), got "tomorrow"
testdata/suites/malformed.yaml:34:9: field "project" does not apply to balance (its fields: by, in, currency, left, name, want, reason, limit, error)
testdata/suites/malformed.yaml:36:9: unknown outcome "forbiden" (did you mean "forbidden"?) (outcomes: ok, allowed, denied, forbidden, not_found, conflict, limit_exceeded, invalid, expired, used, revoked, insufficient_credits, allowance_exceeded, idempotency_mismatch)
testdata/suites/malformed.yaml:39:9: check: want allowed or denied, got "ok"
testdata/suites/malformed.yaml:42:9: field "by" repeated (first at 41:9)
testdata/suites/malformed.yaml:45:17: guests: want on or off, not a list
testdata/suites/malformed.yaml:51:9: reason is for check steps and want: forbidden
testdata/suites/malformed.yaml:52:5: scenario "mistakes" repeated (first at 5:5)
testdata/suites/malformed.yaml:53:12: steps is a list of steps, e.g. - check: edit
testdata/suites/malformed.yaml:54:5: a scenario needs a name
testdata/suites/malformed.yaml:55:9: delete: no workspace "nowhere" is created before this step
`},
		{"testdata/suites/unknown-names.yaml", `testdata/suites/unknown-names.yaml:4:5: case member fly: policy spaces has no action "fly" (actions: design_together, add_comments, make_reusable_assets, use_free_features, use_pro_features, use_ai_features, invite_people, remove_people, make_admins, upgrade_space, manage_payments)
testdata/suites/unknown-names.yaml:9:9: policy spaces has no plan "premium" (plans: free, pro)
testdata/suites/unknown-names.yaml:11:9: policy spaces has no action "use_ai" (did you mean "use_ai_features"?) (actions: design_together, add_comments, make_reusable_assets, use_free_features, use_pro_features, use_ai_features, invite_people, remove_people, make_admins, upgrade_space, manage_payments)
testdata/suites/unknown-names.yaml:16:9: policy spaces has no role "membr" (did you mean "member"?) (roles: owner, admin, member)
testdata/suites/unknown-names.yaml:17:9: spend: action design_together costs nothing: use a check step
testdata/suites/unknown-names.yaml:21:9: policy spaces has no currency "coins" (currencies: ai_credits)
testdata/suites/unknown-names.yaml:23:9: members: olivia: policy spaces has no role "ownr" (did you mean "owner"?) (roles: owner, admin, member)
`},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run([]string{"test", tt.file}, &stdout, &stderr); code != exitFailure {
				t.Errorf("code = %d, want %d", code, exitFailure)
			}
			if got := stderr.String(); got != tt.stderr {
				t.Errorf("stderr:\n%s\nwant:\n%s", got, tt.stderr)
			}
			if want := "FAIL " + tt.file + ": does not load\n0 passed, 1 failed\n"; stdout.String() != want {
				t.Errorf("stdout:\n%s\nwant:\n%s", &stdout, want)
			}
		})
	}
}

// TestSuiteSmallMistakes checks the messages of suites with one mistake.
func TestSuiteSmallMistakes(t *testing.T) {
	const pol = "policy: ../../testdata/policies/spaces.yaml\n"
	tests := []struct {
		name, src, want string
	}{
		{"empty", "", "s.yaml: empty suite"},
		{"two documents", pol + "cases: []\n---\nx: 1\n", "s.yaml:3:1: a suite is one YAML document"},
		{"a list", "- 1\n", "s.yaml:1:1: a suite is a mapping (fields: policy, start, cases, setup, scenarios)"},
		{"no policy", "scenarios: []\n", "s.yaml:1:1: a suite needs policy: the policy file, relative to the suite"},
		{"nothing to run", pol, "s.yaml:1:1: a suite needs scenarios or cases"},
		{"syntax", pol + "scenarios: [\n", "s.yaml:2: did not find expected node content"},
		{"duplicate key", pol + "policy: x.yaml\ncases: []\n", `s.yaml:2:1: field "policy" repeated (first at 1:1)`},
		{"unclosed quote", pol + "cases: \"abc\n", "s.yaml:2: found unexpected end of stream"},
		// yaml.v3 gives the line of the list the bad line breaks, not of
		// the bad line (4).
		{"bad indentation", pol + "scenarios:\n  - name: x\n   steps: []\n", "s.yaml:2: did not find expected '-' indicator"},
		{"tab", pol + "scenarios:\n\t- name: x\n", "s.yaml:3: found character that cannot start any token"},
		{"bad start", pol + "start: soon\ncases: []\n", `s.yaml:2:8: start: want a date such as 2026-03-01 or 2026-03-01T09:00:00Z, got "soon"`},
		{"step not a mapping", pol + "scenarios:\n  - name: x\n    steps: [check]\n", "s.yaml:4:13: a step is a mapping with one verb, e.g. {check: edit, by: ann, want: allowed}"},
		{"no workspace yet", pol + "scenarios:\n  - name: x\n    steps:\n      - check: edit\n        by: a\n        want: allowed\n",
			"s.yaml:5:9: check: no workspace is created before this step: create one, or name it with in"},
		{"wrong type", pol + "setup:\n  - create: w\n    by: a\n  - link: l\n    by: a\n    uses: many\nscenarios: []\n",
			"s.yaml:7:11: uses: cannot unmarshal !!str `many` into int64"},
		{"personal with plan", pol + "setup:\n  - create: w\n    kind: personal\n    plan: pro\n    by: a\nscenarios: []\n",
			"s.yaml:5:5: a personal workspace starts on the policy's default plan: change it with a change_plan step"},
		{"limit without want", pol + "setup:\n  - create: w\n    by: a\n    limit: members\nscenarios: []\n",
			"s.yaml:5:5: limit is for want: limit_exceeded"},
		{"allowed for an operation", pol + "setup:\n  - create: w\n    by: a\n    want: allowed\nscenarios: []\n",
			"s.yaml:5:5: create: want ok or an error (allowed and denied are for check steps)"},
		{"a failed create makes no handle", pol + "setup:\n  - create: w\n    by: a\n    want: invalid\n  - check: edit\n    by: a\n    want: allowed\nscenarios: []\n",
			"s.yaml:6:5: check: no workspace is created before this step: create one, or name it with in"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseSuite("s.yaml", []byte(tt.src))
			if err == nil || err.Error() != tt.want {
				t.Errorf("parseSuite(%q) = %v, want %s", tt.src, err, tt.want)
			}
		})
	}
}

// TestSuiteTooLarge checks that a suite over the size cap is refused
// before it is parsed.
func TestSuiteTooLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.yaml")
	src := append([]byte("policy: p.yaml\n# "), bytes.Repeat([]byte("x"), maxSuiteSize)...)
	if err := os.WriteFile(path, src, 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"test", path}, &stdout, &stderr); code != exitFailure {
		t.Errorf("code = %d, want %d", code, exitFailure)
	}
	if want := path + ": file is larger than the limit of 4194304 bytes\n"; stderr.String() != want {
		t.Errorf("stderr = %q, want %q", &stderr, want)
	}
}

// TestTestArguments checks how charter test reads its arguments.
func TestTestArguments(t *testing.T) {
	empty := t.TempDir()
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string // a substring
		stderr string // a substring
	}{
		{"a suite", []string{"testdata/suites/../../../../testdata/suites/coins.yaml"}, exitOK, "ok testdata/suites/../../../../testdata/suites/coins.yaml: 6 scenarios, 17 cases\n", ""},
		{"two suites", []string{"../../testdata/suites/coins.yaml", "../../testdata/suites/spaces.yaml"}, exitOK, "ok ../../testdata/suites/spaces.yaml", ""},
		{"a directory", []string{"../../testdata/suites"}, exitOK, "ok ../../testdata/suites/video-studio.yaml", ""},
		{"a policy and a cases file", []string{teamGuests, "testdata/team-guests-cases.yaml"}, exitOK, "37 passed, 0 failed\n", ""},
		{"an empty directory", []string{empty}, exitFailure, "", empty + ": no *.yaml suites in the directory"},
		{"a missing file", []string{"testdata/no-such.yaml"}, exitFailure, "", "charter test: stat testdata/no-such.yaml: no such file or directory"},
		{"a good and a bad suite", []string{"../../testdata/suites/coins.yaml", "testdata/suites/failing.yaml"}, exitFailure, "25 passed, 10 failed\n", ""},
		{"run", []string{"-run", "Enterprise|coins", "../../testdata/suites/coins.yaml"}, exitOK, "ok ../../testdata/suites/coins.yaml: 2 scenarios, 0 cases\n2 passed, 0 failed\n", ""},
		{"run nothing", []string{"-run", "^$", "../../testdata/suites/coins.yaml"}, exitOK, "ok ../../testdata/suites/coins.yaml: 0 scenarios, 0 cases\n", ""},
		{"run a bad regexp", []string{"-run", "(", "../../testdata/suites/coins.yaml"}, exitUsage, "", "invalid value \"(\" for flag -run"},
		{"verbose", []string{"-v", "../../testdata/suites/coins.yaml"}, exitOK,
			`../../testdata/suites/coins.yaml:34:5: ok scenario "a Free licence has a personal workspace only" (4 steps)` + "\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"test"}, tt.args...), &stdout, &stderr)
			if code != tt.code {
				t.Errorf("code = %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, &stdout, &stderr)
			}
			if !strings.Contains(stdout.String(), tt.stdout) {
				t.Errorf("stdout:\n%s\nwant it to hold %q", &stdout, tt.stdout)
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr:\n%s\nwant it to hold %q", &stderr, tt.stderr)
			}
		})
	}
}

// TestTestHelp checks that "charter help test" documents the format.
func TestTestHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"help", "test"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("code = %d, stderr:\n%s", code, &stderr)
	}
	for _, verb := range verbNames {
		if !strings.Contains(stdout.String(), "  "+verb+": ") {
			t.Errorf("charter help test does not document verb %s", verb)
		}
	}
	for _, want := range wantNames[3:] {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("charter help test does not document outcome %s", want)
		}
	}
	for _, s := range []string{"usage: charter test", "policy: ", "scenarios:", "setup:", "cases:", "docs/policy-tests.md"} {
		if !strings.Contains(stdout.String(), s) {
			t.Errorf("charter help test lacks %q", s)
		}
	}
}

func TestParseWhen(t *testing.T) {
	now := time.Date(2026, 1, 31, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
		err  bool
	}{
		{"+30d", now.AddDate(0, 0, 30), false},
		{"+1d12h", now.Add(36 * time.Hour), false},
		{"+90m", now.Add(90 * time.Minute), false},
		{"+0s", now, false},
		{"2026-03-01", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), false},
		{"2026-03-01T09:30:00+02:00", time.Date(2026, 3, 1, 7, 30, 0, 0, time.UTC), false},
		{"+-1h", time.Time{}, true},
		{"+-1d", time.Time{}, true},
		{"+d", time.Time{}, true},
		{"+1dd", time.Time{}, true},
		{"30d", time.Time{}, true},
		{"2026-02-30", time.Time{}, true},
		{"", time.Time{}, true},
	}
	for _, tt := range tests {
		got, err := parseWhen(tt.in, now)
		if (err != nil) != tt.err || !got.Equal(tt.want) {
			t.Errorf("parseWhen(%q) = %v, %v; want %v, error %t", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestSuggest(t *testing.T) {
	names := []string{"plan", "role", "members", "use_ai_features", "use_free_features"}
	tests := []struct{ in, want string }{
		{"plna", ` (did you mean "plan"?)`},
		{"rle", ` (did you mean "role"?)`},
		{"membres", ` (did you mean "members"?)`},
		{"use_ai", ` (did you mean "use_ai_features"?)`},
		{"use_", ""}, // two names begin so
		{"xyz", ""},
		{"plan", ""},
	}
	for _, tt := range tests {
		if got := suggest(tt.in, names); got != tt.want {
			t.Errorf("suggest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzParseSuite checks that no input makes the suite decoder panic, and
// that a suite it accepts validates against a policy without panicking.
func FuzzParseSuite(f *testing.F) {
	for _, pattern := range []string{"../../testdata/suites/*.yaml", "testdata/suites/*.yaml"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			src, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(src)
		}
	}
	p, err := policy.LoadFile("../../testdata/policies/credit-pool.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		s, err := parseSuite("fuzz.yaml", src)
		if err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "fuzz.yaml") {
					t.Fatalf("error line %q does not start with the file name", line)
				}
			}
			return
		}
		_ = s.validate(p)
	})
}

// TestDocExample runs the complete example of docs/policy-tests.md, and
// the failure the doc shows when times: 10 becomes times: 9.
func TestDocExample(t *testing.T) {
	doc, err := os.ReadFile("../../docs/policy-tests.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, _ := strings.Cut(string(doc), "## A complete example")
	_, after, _ = strings.Cut(after, "```yaml\n")
	example, after, ok := strings.Cut(after, "```")
	if !ok {
		t.Fatal("docs/policy-tests.md: no yaml block after ## A complete example")
	}
	_, after, _ = strings.Cut(after, "```\n")
	shown, _, _ := strings.Cut(after, "```")

	const path = "../../docs/example.yaml" // as if the example were docs/example.yaml
	runExample := func(src string) string {
		t.Helper()
		s, p, err := compileSuite(path, []byte(src))
		if err != nil {
			t.Fatalf("the example does not load:\n%v", err)
		}
		var out bytes.Buffer
		s.runAll(p, runOptions{}, &tally{}, &out)
		return strings.ReplaceAll(out.String(), "../../", "")
	}
	if got, want := runExample(example), "ok docs/example.yaml: 3 scenarios, 3 cases\n"; got != want {
		t.Errorf("the example:\n%s\nwant:\n%s", got, want)
	}
	broken := strings.Replace(example, "times: 10", "times: 9", 1)
	var total tally
	s, p, err := compileSuite(path, []byte(broken))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	s.runAll(p, runOptions{}, &total, &out)
	fmt.Fprintf(&out, "%d passed, %d failed\n", total.passed, total.failed)
	if got := strings.ReplaceAll(out.String(), "../../", ""); got != shown {
		t.Errorf("the broken example prints:\n%s\nthe doc shows:\n%s", got, shown)
	}
}
