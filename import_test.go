package charter_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/policy"
	"github.com/charterhq/charter/storage/memory"
	"github.com/charterhq/charter/workspace"
)

// teamFile is an import file on the team-guests policy: a Business
// workspace with every kind of member, a Starter one and a personal one.
const teamFile = `{"id": "acme", "name": "Acme", "plan": "business", "owner": "ann", "billing_contact": "bob", "members": [{"user": "bob", "role": "admin"}, {"user": "cat", "role": "member"}], "guests": [{"user": "gus", "projects": ["roadmap", "design"]}], "settings": {"guests_disabled": true}, "logo": "https://cdn.example.com/acme.png", "preferences": {"theme": "dark", "ui.lang": "fr"}}

{"id": "ws/starter 1", "plan": "starter", "owner": "bob", "members": [{"user": "ann", "role": "admin"}]}
{"id": "ann-home", "kind": "personal", "owner": "ann", "plan": "business"}
`

// ownerTeam is team-guests with an owner role (testdata/import), for the
// tests of records whose owner holds it.
const ownerTeam = "team-guests-owner"

// importService returns a Service on the shipped policy called name and a
// fresh in-memory store.
func importService(tb interface {
	Helper()
	Fatal(...any)
}, name string) *charter.Service {
	tb.Helper()
	path := filepath.Join("testdata", "policies", name+".yaml")
	if name == ownerTeam {
		path = filepath.Join("testdata", "import", name+".yaml")
	}
	p, err := policy.LoadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := charter.New(p, memory.New(), charter.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// need returns a function that returns v, failing the test if err is not
// nil: need[T](t)(call()).
func need[T any](tb testing.TB) func(v T, err error) T {
	return func(v T, err error) T {
		tb.Helper()
		needOK(tb, err)
		return v
	}
}

func needOK(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// memberOK returns user's membership of w, or an error if there is none.
func memberOK(w *workspace.Workspace, user string) (workspace.Member, error) {
	m, ok := w.Member(user)
	if !ok {
		return m, errors.New(user + " is not a member")
	}
	return m, nil
}

func importString(t *testing.T, s *charter.Service, file string, opts charter.ImportOptions) (charter.ImportProgress, error) {
	t.Helper()
	return s.Import(ctx, strings.NewReader(file), opts)
}

func TestImport(t *testing.T) {
	s := importService(t, ownerTeam)
	var calls []charter.ImportProgress
	prog, err := importString(t, s, teamFile, charter.ImportOptions{Batch: 2, Progress: func(p charter.ImportProgress) { calls = append(calls, p) }})
	needOK(t, err)
	if prog.Records != 3 || prog.Created != 3 || prog.Skipped != 0 || prog.Bytes != int64(len(teamFile)) {
		t.Errorf("progress = %+v, want 3 records created of %d bytes", prog, len(teamFile))
	}
	if len(calls) != 2 || calls[0].Records != 2 || calls[1] != prog {
		t.Errorf("Progress called with %+v, want after 2 and 3 records", calls)
	}

	acme := need[*workspace.Workspace](t)(s.Workspace(ctx, "gus", "acme"))
	roles := map[string]string{}
	for u, m := range acme.Members() {
		roles[u] = m.Role.Name
	}
	if diff := cmp.Diff(map[string]string{"ann": "owner", "bob": "admin", "cat": "member", "gus": "guest"}, roles); diff != "" {
		t.Errorf("acme's members (-want +got):\n%s", diff)
	}
	if acme.Name != "Acme" || acme.Plan.Name != "business" || acme.BillingContact != "bob" || !acme.Settings.GuestsDisabled {
		t.Errorf("acme = %q on %s, billing %s, guests disabled %t", acme.Name, acme.Plan.Name, acme.BillingContact, acme.Settings.GuestsDisabled)
	}
	if acme.Logo != "https://cdn.example.com/acme.png" || !cmp.Equal(acme.Preferences, map[string]string{"theme": "dark", "ui.lang": "fr"}) {
		t.Errorf("acme's logo %q, preferences %v", acme.Logo, acme.Preferences)
	}
	if starter := need[*workspace.Workspace](t)(s.Workspace(ctx, "bob", "ws/starter 1")); starter.Logo != "" || starter.Preferences != nil {
		t.Errorf("a record without them gave logo %q, preferences %v", starter.Logo, starter.Preferences)
	}
	if got := need[workspace.Member](t)(memberOK(acme, "gus")).Projects; !cmp.Equal(got, []string{"design", "roadmap"}) {
		t.Errorf("gus's projects = %v", got)
	}
	for _, c := range []struct {
		actor, action, id string
		want              bool
	}{
		{"cat", "invite_members", "acme", true},
		{"cat", "remove_members", "acme", false},
		{"ann", "update_roles", "ws/starter 1", true},
		{"cat", "browse_projects", "ws/starter 1", false},
	} {
		if got := need[bool](t)(s.Can(ctx, c.actor, c.action, c.id)); got != c.want {
			t.Errorf("Can(%s, %s, %s) = %t, want %t", c.actor, c.action, c.id, got, c.want)
		}
	}
	personal := need[*workspace.Workspace](t)(s.EnsurePersonal(ctx, "ann"))
	if personal.ID != "ann-home" {
		t.Errorf("ann's personal workspace is %q, want the imported ann-home", personal.ID)
	}
	events := need[[]charter.Event](t)(s.Events(ctx, "", 0, 100))
	imported := 0
	for _, e := range events {
		if e.Type == charter.EventWorkspaceImported {
			imported++
		}
	}
	if imported != 3 {
		t.Errorf("%d import events, want 3; events: %+v", imported, events)
	}

	// The same file again changes nothing.
	prog, err = importString(t, s, teamFile, charter.ImportOptions{})
	needOK(t, err)
	if prog.Records != 3 || prog.Created != 0 || prog.Skipped != 3 {
		t.Errorf("second import: %+v, want 3 records skipped", prog)
	}
	if again := need[[]charter.Event](t)(s.Events(ctx, "", 0, 100)); len(again) != len(events) {
		t.Errorf("second import recorded %d events", len(again)-len(events))
	}
}

// TestImportRejects holds each kind of bad record to its line and error.
func TestImportRejects(t *testing.T) {
	for _, tt := range []struct {
		name   string
		policy string
		before string // imported first, successfully
		record string // on line 2, after good
		is     error
		want   string
	}{
		{name: "not JSON", record: `{"id": "x", owner: "ann"}`, is: charter.ErrInvalid, want: "not an import record"},
		{name: "unknown field", record: `{"id": "x", "owner": "ann", "colour": "red"}`, is: charter.ErrInvalid, want: `unknown field "colour"`},
		{name: "two values", record: `{"id": "x", "owner": "ann"} {}`, is: charter.ErrInvalid, want: "more than one JSON value"},
		{name: "empty ID", record: `{"owner": "ann"}`, is: charter.ErrInvalid, want: `workspace ID "" is empty`},
		{name: "control character", record: `{"id": "a\tb", "owner": "ann"}`, is: charter.ErrInvalid, want: "control character U+0009"},
		{name: "long ID", record: `{"id": "` + strings.Repeat("x", 201) + `", "owner": "ann"}`, is: charter.ErrInvalid, want: "201 bytes long"},
		{name: "no owner", record: `{"id": "x"}`, is: charter.ErrInvalid, want: "owner is empty"},
		{name: "bad kind", record: `{"id": "x", "owner": "ann", "kind": "team"}`, is: charter.ErrInvalid, want: `kind "team"`},
		{name: "unknown plan", record: `{"id": "x", "owner": "ann", "plan": "gold"}`, is: charter.ErrInvalid, want: `unknown plan "gold"`},
		{name: "unknown role", record: `{"id": "x", "owner": "ann", "members": [{"user": "bob", "role": "boss"}]}`, is: charter.ErrInvalid, want: `unknown role "boss"`},
		{name: "second owner", record: `{"id": "x", "owner": "ann", "members": [{"user": "bob", "role": "owner"}]}`, is: charter.ErrInvalid, want: `member "bob"`},
		{name: "owner listed", record: `{"id": "x", "owner": "ann", "members": [{"user": "ann", "role": "admin"}]}`, is: charter.ErrInvalid, want: `member "ann"`},
		{name: "member twice", record: `{"id": "x", "owner": "ann", "members": [{"user": "bob", "role": "admin"}, {"user": "bob", "role": "admin"}]}`, is: charter.ErrInvalid, want: `member "bob"`},
		{name: "role not offered", record: `{"id": "x", "owner": "ann", "members": [{"user": "bob", "role": "member"}]}`, is: charter.ErrInvalid, want: "does not offer member"},
		{name: "guest as member", record: `{"id": "x", "owner": "ann", "members": [{"user": "gus", "role": "guest"}]}`, is: charter.ErrInvalid, want: "belongs in guests"},
		{name: "guest without projects", record: `{"id": "x", "owner": "ann", "guests": [{"user": "gus"}]}`, is: charter.ErrInvalid, want: `member "gus"`},
		{name: "guest in a member role", record: `{"id": "x", "owner": "ann", "guests": [{"user": "gus", "role": "admin", "projects": ["p"]}]}`, is: charter.ErrInvalid, want: "not a guest role"},
		{name: "member with projects", record: `{"id": "x", "owner": "ann", "members": [{"user": "bob", "role": "admin", "projects": ["p"]}]}`, is: charter.ErrInvalid, want: `member "bob"`},
		{name: "personal with members", record: `{"id": "x", "kind": "personal", "owner": "ann", "members": [{"user": "bob", "role": "admin"}]}`, is: charter.ErrInvalid, want: "only member"},
		{name: "billing contact not a member", record: `{"id": "x", "owner": "ann", "billing_contact": "zed"}`, is: charter.ErrInvalid, want: "billing"},
		{name: "billing contact not an admin", policy: "credit-pool", record: `{"id": "x", "owner": "ann", "billing_contact": "eve", "members": [{"user": "eve", "role": "editor"}]}`,
			is: charter.ErrInvalid, want: "not an admin role"},
		{name: "setting not offered", record: `{"id": "x", "owner": "ann", "settings": {"guests_disabled": true}}`, is: charter.ErrInvalid, want: "does not offer"},
		{name: "logo not http", record: `{"id": "x", "owner": "ann", "logo": "javascript:alert(1)"}`, is: charter.ErrInvalid, want: "logo is not an absolute http or https URL"},
		{name: "logo with a control character", record: `{"id": "x", "owner": "ann", "logo": "https://e.com/\u0000"}`, is: charter.ErrInvalid, want: "logo contains a control character"},
		{name: "preference key", record: `{"id": "x", "owner": "ann", "preferences": {"Theme": "dark"}}`, is: charter.ErrInvalid, want: "preference key holds a character outside"},
		{name: "preference value", record: `{"id": "x", "owner": "ann", "preferences": {"theme": "` + strings.Repeat("v", 1025) + `"}}`, is: charter.ErrInvalid, want: "preference value is longer than 1024 bytes"},
		{name: "preference not a string", record: `{"id": "x", "owner": "ann", "preferences": {"n": 1}}`, is: charter.ErrInvalid, want: "not an import record"},
		{name: "too many preferences", record: `{"id": "x", "owner": "ann", "preferences": {` + manyPrefs(33) + `}}`, is: charter.ErrInvalid, want: "preferences sets more than 32 keys"},
		{name: "exists with another logo", before: `{"id": "old", "owner": "ann", "logo": "https://e.com/a.png"}`,
			record: `{"id": "old", "owner": "ann"}`, is: charter.ErrExists, want: "exists with logo https://e.com/a.png"},
		{name: "exists with other preferences", before: `{"id": "old", "owner": "ann", "preferences": {"a": "1"}}`,
			record: `{"id": "old", "owner": "ann", "preferences": {"a": "2"}}`, is: charter.ErrExists, want: "exists with preferences"},
		{name: "unknown currency", record: `{"id": "x", "owner": "ann", "credits": [{"currency": "gold", "amount": 1}]}`, is: charter.ErrInvalid, want: `unknown currency "gold"`},
		{name: "billing contact not the first admin", policy: "team-guests", record: `{"id": "x", "owner": "ann", "billing_contact": "bob", "members": [{"user": "bob", "role": "admin"}]}`,
			is: charter.ErrInvalid, want: `billing contact "bob" is not the first admin "ann"`},
		{name: "exists and differs", record: `{"id": "ok", "owner": "bob"}`, is: charter.ErrExists, want: "exists with owner ann"},
		{name: "exists from before and differs", before: `{"id": "old", "owner": "ann", "members": [{"user": "bob", "role": "admin"}]}`,
			record: `{"id": "old", "owner": "ann"}`, is: charter.ErrExists, want: "member count 2"},
		{name: "second personal workspace", before: `{"id": "home", "kind": "personal", "owner": "ann"}`,
			record: `{"id": "home2", "kind": "personal", "owner": "ann"}`, is: charter.ErrExists, want: `already has personal workspace "home"`},
		{name: "members limit", policy: "coins", record: `{"id": "x", "owner": "ann", "plan": "individual", "members": [{"user": "bob", "role": "collaborator"}]}`,
			is: charter.ErrLimitExceeded, want: "members"},
		{name: "licence", policy: "coins", record: `{"id": "x", "owner": "bob", "plan": "individual"}`, is: charter.ErrLimitExceeded, want: "shared_workspaces"},
		{name: "allowance of a non-member", policy: "credit-pool", record: `{"id": "x", "owner": "ann", "allowances": [{"member": "bob", "currency": "credits", "amount": 5}]}`,
			is: charter.ErrInvalid, want: "not a member"},
		{name: "allowance of a role that does not spend", policy: "credit-pool",
			record: `{"id": "x", "owner": "ann", "members": [{"user": "rex", "role": "reviewer"}], "allowances": [{"member": "rex", "currency": "credits", "amount": 5}]}`,
			is:     charter.ErrInvalid, want: "does not spend"},
		{name: "credits not positive", policy: "credit-pool", record: `{"id": "x", "owner": "ann", "credits": [{"currency": "credits", "amount": 0}]}`,
			is: charter.ErrInvalid, want: "not positive"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pol := tt.policy
			if pol == "" {
				pol = ownerTeam
			}
			s := importService(t, pol)
			good := `{"id": "ok", "owner": "ann"}`
			if pol == "coins" {
				// Only a licence lets ann own a shared workspace.
				good = `{"id": "ok", "kind": "personal", "owner": "ann", "plan": "enterprise"}`
			}
			if tt.before != "" {
				_, err := importString(t, s, tt.before, charter.ImportOptions{})
				needOK(t, err)
			}
			// One batch: the bad record takes the good one with it.
			_, err := importString(t, s, good+"\n"+tt.record+"\n", charter.ImportOptions{})
			var ie *charter.ImportError
			if !errors.As(err, &ie) || ie.Line != 2 || !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Import = %v, want an ImportError on line 2 wrapping %v and saying %q", err, tt.is, tt.want)
			}
			if _, err := s.Workspace(ctx, "ann", "ok"); !errors.Is(err, charter.ErrNotFound) {
				t.Errorf("the good record of the failed batch was written: Workspace = %v", err)
			}
		})
	}
}

// manyPrefs returns n preferences as the members of a JSON object.
func manyPrefs(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, `"k%d": "v"`, i)
	}
	return b.String()
}

// TestImportBatches checks that the batches before a bad record stay and
// that fixing the file and running it again finishes the import.
func TestImportBatches(t *testing.T) {
	s := importService(t, ownerTeam)
	var lines []string
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		lines = append(lines, `{"id": "`+id+`", "owner": "ann"}`)
	}
	bad := append([]string(nil), lines...)
	bad[3] = `{"id": "d", "owner": "ann", "plan": "gold"}`
	prog, err := importString(t, s, strings.Join(bad, "\n"), charter.ImportOptions{Batch: 2})
	var ie *charter.ImportError
	if !errors.As(err, &ie) || ie.Line != 4 || ie.ID != "d" {
		t.Fatalf("Import = %v, want line 4 (d)", err)
	}
	if prog.Records != 2 {
		t.Errorf("progress = %+v, want the first batch of 2 committed", prog)
	}
	for id, want := range map[string]bool{"a": true, "b": true, "c": false, "d": false, "e": false} {
		_, err := s.Workspace(ctx, "ann", id)
		if got := err == nil; got != want {
			t.Errorf("workspace %s exists: %t, want %t (%v)", id, got, want, err)
		}
	}
	prog, err = importString(t, s, strings.Join(lines, "\n"), charter.ImportOptions{Batch: 2})
	needOK(t, err)
	if prog.Created != 3 || prog.Skipped != 2 {
		t.Errorf("re-run: %+v, want 3 created and 2 skipped", prog)
	}
}

// TestImportCredits checks that imported lots and allowances are what the
// members see.
func TestImportCredits(t *testing.T) {
	s := importService(t, "credit-pool")
	file := `{"id": "studio", "owner": "ann", "members": [{"user": "eve", "role": "editor"}], "credits": [{"currency": "credits", "amount": 300}, {"currency": "credits", "amount": 50}], "allowances": [{"member": "eve", "currency": "credits", "amount": 20}]}`
	_, err := importString(t, s, file, charter.ImportOptions{})
	needOK(t, err)
	b := need[charter.Balance](t)(s.Balance(ctx, "eve", "studio", "credits"))
	if b.Available != 350 || !b.HasAllowance || b.Allowance != 20 || b.AllowanceLeft != 20 {
		t.Errorf("balance = %+v, want 350 available and an allowance of 20", b)
	}
	// Running it again adds no credits.
	_, err = importString(t, s, file, charter.ImportOptions{})
	needOK(t, err)
	if b := need[charter.Balance](t)(s.Balance(ctx, "ann", "studio", "credits")); b.Available != 350 {
		t.Errorf("after a second import, %d available, want 350", b.Available)
	}
}

// FuzzImport feeds Import arbitrary files: it must never panic, must blame
// a line for what it refuses, and a file it takes must change nothing the
// second time.
func FuzzImport(f *testing.F) {
	f.Add(teamFile)
	f.Add(`{"id": "x", "owner": "ann", "guests": [{"user": "g", "projects": ["p", "p"]}]}`)
	f.Add(`{"id": "x", "kind": "personal", "owner": "ann"}` + "\n" + `{"id": "x", "owner": "ann"}`)
	f.Add("{}\n\n[]\nnull")
	f.Add(`{"id": "x", "owner": "ann", "logo": "", "preferences": {}}` + "\n" + `{"id": "y", "owner": "ann", "logo": "https://h/l.png", "preferences": {"a": "1", "a": "2"}}`)
	f.Fuzz(func(t *testing.T, file string) {
		s := importService(t, ownerTeam)
		prog, err := importString(t, s, file, charter.ImportOptions{Batch: 2})
		if err != nil {
			var ie *charter.ImportError
			if !errors.As(err, &ie) || ie.Line < 1 || ie.Line > strings.Count(file, "\n")+1 {
				t.Fatalf("Import = %v, want an *ImportError on a line of the file", err)
			}
			if !errors.Is(err, charter.ErrInvalid) && !errors.Is(err, charter.ErrExists) && !errors.Is(err, charter.ErrLimitExceeded) && !errors.Is(err, charter.ErrForbidden) {
				t.Fatalf("Import = %v, which wraps none of the import errors", err)
			}
			return
		}
		again, err := importString(t, s, file, charter.ImportOptions{Batch: 2})
		if err != nil || again.Created != 0 || again.Records != prog.Records {
			t.Fatalf("second import = %+v, %v; want the %d records skipped", again, err, prog.Records)
		}
	})
}

// TestImportWithinBatch checks that a record is checked against the records
// before it in its own batch, as against those already stored: the
// licence a personal workspace gives, the shared workspaces counted so far,
// one personal workspace per user, and an ID given twice.
func TestImportWithinBatch(t *testing.T) {
	for _, tt := range []struct {
		name, policy, file string
		created, skipped   int
		is                 error // of line 3, or nil
		want               string
	}{
		{name: "same record twice", policy: ownerTeam,
			file:    `{"id": "a", "owner": "ann"}` + "\n" + `{"id": "b", "owner": "ann"}` + "\n" + `{"id": "a", "owner": "ann"}`,
			created: 2, skipped: 1},
		{name: "same ID, different record", policy: ownerTeam,
			file: `{"id": "a", "owner": "ann"}` + "\n" + `{"id": "b", "owner": "ann"}` + "\n" + `{"id": "a", "owner": "bob"}`,
			is:   charter.ErrExists, want: "exists with owner ann"},
		{name: "two personal workspaces", policy: ownerTeam,
			file: `{"id": "h1", "kind": "personal", "owner": "ann"}` + "\n" + `{"id": "b", "owner": "ann"}` + "\n" + `{"id": "h2", "kind": "personal", "owner": "ann"}`,
			is:   charter.ErrExists, want: `already has personal workspace "h1"`},
		{name: "licence from the batch", policy: "coins",
			file:    `{"id": "home", "kind": "personal", "owner": "ann", "plan": "individual"}` + "\n" + `{"id": "s1", "owner": "ann", "plan": "individual"}`,
			created: 2},
		{name: "licence used up in the batch", policy: "coins",
			file: `{"id": "home", "kind": "personal", "owner": "ann", "plan": "individual"}` + "\n" + `{"id": "s1", "owner": "ann", "plan": "individual"}` + "\n" + `{"id": "s2", "owner": "ann", "plan": "individual"}`,
			is:   charter.ErrLimitExceeded, want: "shared_workspaces"},
		{name: "personal plan below the shared ones before it", policy: "coins",
			file:    `{"id": "big", "kind": "personal", "owner": "bob", "plan": "enterprise"}` + "\n" + `{"id": "s1", "owner": "bob", "plan": "individual"}` + "\n" + `{"id": "home", "kind": "personal", "owner": "ann", "plan": "free"}`,
			created: 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := importService(t, tt.policy)
			prog, err := importString(t, s, tt.file, charter.ImportOptions{})
			if tt.is == nil {
				needOK(t, err)
				if prog.Created != tt.created || prog.Skipped != tt.skipped {
					t.Errorf("progress = %+v, want %d created and %d skipped", prog, tt.created, tt.skipped)
				}
				return
			}
			var ie *charter.ImportError
			if !errors.As(err, &ie) || ie.Line != 3 || !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Import = %v, want an ImportError on line 3 wrapping %v and saying %q", err, tt.is, tt.want)
			}
			if prog.Records != 0 {
				t.Errorf("progress = %+v, want nothing of the batch committed", prog)
			}
		})
	}
}
