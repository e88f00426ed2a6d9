package backendtest_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/storage"
)

// gateIn is the input of one Service call in the gate's tests: every text
// argument any call takes, by the gate's field name.
type gateIn map[string]string

// gateCall is one public Service method, called with in's arguments.
type gateCall struct {
	name   string
	fields []string // the gate's names of the text arguments it takes
	call   func(ctx context.Context, s *charter.Service, in gateIn) error
}

// gateCalls lists every public Service method that takes a context.
var gateCalls = []gateCall{
	{"Permissions", []string{"actor", "workspace"}, func(ctx context.Context, s *charter.Service, in gateIn) error {
		_, err := s.Permissions(ctx, in["actor"], in["workspace"])
		return err
	}},
	{"ProjectPermissions", []string{"actor", "workspace", "project"}, func(ctx context.Context, s *charter.Service, in gateIn) error {
		_, err := s.ProjectPermissions(ctx, in["actor"], in["workspace"], in["project"])
		return err
	}},
	{"WorkspacesAllowing", []string{"actor", "action"}, func(ctx context.Context, s *charter.Service, in gateIn) error {
		_, _, err := s.WorkspacesAllowing(ctx, in["actor"], in["action"], charter.Page{Limit: 10})
		return err
	}},
	{"Can", []string{"actor", "action", "workspace"}, func(ctx context.Context, s *charter.Service, in gateIn) error {
		ok, err := s.Can(ctx, in["actor"], in["action"], in["workspace"])
		if ok && err != nil {
			return errors.New("Can allowed with an error")
		}
		return err
	}},
	{"CanProject", []string{"actor", "action", "workspace", "project"}, func(ctx context.Context, s *charter.Service, in gateIn) error {
		_, err := s.CanProject(ctx, in["actor"], in["action"], in["workspace"], in["project"])
		return err
	}},
	{"Decide", []string{"actor", "action", "workspace", "project"}, func(ctx context.Context, s *charter.Service, in gateIn) error {
		d, err := s.Decide(ctx, in["actor"], in["action"], in["workspace"], in["project"])
		if d.Allowed && err != nil {
			return errors.New("Decide allowed with an error")
		}
		return err
	}},
	{"Balance", []string{"actor", "workspace", "currency"}, func(ctx context.Context, s *charter.Service, in gateIn) error {
		_, err := s.Balance(ctx, in["actor"], in["workspace"], in["currency"])
		return err
	}},
	{"SetAllowance", []string{"actor", "workspace", "member", "currency"}, func(ctx context.Context, s *charter.Service, in gateIn) error {
		return s.SetAllowance(ctx, in["actor"], in["workspace"], in["member"], in["currency"], 5)
	}},
	{"SpendTable", []string{"actor", "workspace", "currency"}, func(ctx context.Context, s *charter.Service, in gateIn) error {
		_, _, err := s.SpendTable(ctx, in["actor"], in["workspace"], in["currency"], charter.Page{})
		return err
	}},
	{"Journal", []string{"actor", "workspace", "currency"}, func(ctx context.Context, s *charter.Service, in gateIn) error {
		_, _, err := s.Journal(ctx, in["actor"], in["workspace"], in["currency"], charter.Page{})
		return err
	}},
	{"Sweep", []string{"workspace"}, func(ctx context.Context, s *charter.Service, in gateIn) error {
		return s.Sweep(ctx, in["workspace"])
	}},
	{"PruneEvents", []string{"workspace"}, func(ctx context.Context, s *charter.Service, in gateIn) error {
		_, err := s.PruneEvents(ctx, in["workspace"], 1)
		return err
	}},
	{"PruneInvitations", []string{"workspace"}, func(ctx context.Context, s *charter.Service, in gateIn) error {
		_, err := s.PruneInvitations(ctx, in["workspace"], time.Now())
		return err
	}},
	{"Events", []string{"workspace"}, func(ctx context.Context, s *charter.Service, in gateIn) error {
		_, err := s.Events(ctx, in["workspace"], 0, 10)
		return err
	}},
	{"Invite", []string{"actor", "workspace", "email", "role"}, func(ctx context.Context, s *charter.Service, in gateIn) error {
		_, err := s.Invite(ctx, in["actor"], in["workspace"], in["email"], in["role"])
		return err
	}},
	{"InviteGuest", []string{"actor", "workspace", "email", "project"}, func(ctx context.Context, s *charter.Service, in gateIn) error {
		_, err := s.InviteGuest(ctx, in["actor"], in["workspace"], in["email"], in["project"])
		return err
	}},
	{"CreateLink", []string{"actor", "workspace"}, func(ctx context.Context, s *charter.Service, in gateIn) error {
		_, err := s.CreateLink(ctx, in["actor"], in["workspace"], 1, time.Hour)
		return err
	}},
	{"Invitations", []string{"actor", "workspace"}, func(ctx context.Context, s *charter.Service, in gateIn) error {
		_, _, err := s.Invitations(ctx, in["actor"], in["workspace"], charter.Page{})
		return err
	}},
	{"Revoke", []string{"actor", "workspace", "invitation"}, func(ctx context.Context, s *charter.Service, in gateIn) error {
		return s.Revoke(ctx, in["actor"], in["workspace"], in["invitation"])
	}},
	{"Accept", []string{"user", "email", "token"}, func(ctx context.Context, s *charter.Service, in gateIn) error {
		_, err := s.Accept(ctx, in["user"], in["email"], in["token"])
		return err
	}},
	{"GrantProject", []string{"actor", "workspace", "user", "project"}, func(ctx context.Context, s *charter.Service, in gateIn) error {
		return s.GrantProject(ctx, in["actor"], in["workspace"], in["user"], in["project"])
	}},
	{"ChangeRole", []string{"actor", "workspace", "user", "role"}, func(ctx context.Context, s *charter.Service, in gateIn) error {
		return s.ChangeRole(ctx, in["actor"], in["workspace"], in["user"], in["role"])
	}},
	{"Remove", []string{"actor", "workspace", "user"}, func(ctx context.Context, s *charter.Service, in gateIn) error {
		return s.Remove(ctx, in["actor"], in["workspace"], in["user"])
	}},
	{"Leave", []string{"user", "workspace"}, func(ctx context.Context, s *charter.Service, in gateIn) error {
		return s.Leave(ctx, in["user"], in["workspace"])
	}},
	{"TransferOwnership", []string{"actor", "workspace", "to"}, func(ctx context.Context, s *charter.Service, in gateIn) error {
		return s.TransferOwnership(ctx, in["actor"], in["workspace"], in["to"])
	}},
	{"ChangePlan", []string{"actor", "workspace", "plan"}, func(ctx context.Context, s *charter.Service, in gateIn) error {
		return s.ChangePlan(ctx, in["actor"], in["workspace"], in["plan"])
	}},
	{"Spend", []string{"actor", "action", "workspace", "idempotency key"}, func(ctx context.Context, s *charter.Service, in gateIn) error {
		_, err := s.Spend(ctx, in["actor"], in["action"], in["workspace"], in["idempotency key"])
		return err
	}},
	{"SpendWith", []string{"actor", "action", "workspace", "idempotency key", "project", "request"}, func(ctx context.Context, s *charter.Service, in gateIn) error {
		_, err := s.SpendWith(ctx, in["actor"], in["action"], in["workspace"], in["idempotency key"], charter.SpendOptions{Project: in["project"], Request: in["request"]})
		return err
	}},
	{"Pay", []string{"actor", "workspace", "currency", "idempotency key"}, func(ctx context.Context, s *charter.Service, in gateIn) error {
		_, err := s.Pay(ctx, in["actor"], in["workspace"], in["currency"], 1, in["idempotency key"])
		return err
	}},
	{"Earn", []string{"actor", "workspace", "currency", "idempotency key"}, func(ctx context.Context, s *charter.Service, in gateIn) error {
		_, err := s.Earn(ctx, in["actor"], in["workspace"], in["currency"], 1, in["idempotency key"])
		return err
	}},
	{"Fund", []string{"actor", "workspace", "currency", "idempotency key"}, func(ctx context.Context, s *charter.Service, in gateIn) error {
		_, err := s.Fund(ctx, in["actor"], in["workspace"], in["currency"], 1, time.Time{}, in["idempotency key"])
		return err
	}},
	{"Refund", []string{"actor", "workspace", "idempotency key"}, func(ctx context.Context, s *charter.Service, in gateIn) error {
		_, err := s.Refund(ctx, in["actor"], in["workspace"], in["idempotency key"])
		return err
	}},
	{"EnsurePersonal", []string{"user"}, func(ctx context.Context, s *charter.Service, in gateIn) error {
		_, err := s.EnsurePersonal(ctx, in["user"])
		return err
	}},
	{"CreateWorkspace", []string{"actor", "workspace name"}, func(ctx context.Context, s *charter.Service, in gateIn) error {
		_, err := s.CreateWorkspace(ctx, in["actor"], in["workspace name"], "")
		return err
	}},
	{"Workspace", []string{"actor", "workspace"}, func(ctx context.Context, s *charter.Service, in gateIn) error {
		_, err := s.Workspace(ctx, in["actor"], in["workspace"])
		return err
	}},
	{"Workspaces", []string{"user"}, func(ctx context.Context, s *charter.Service, in gateIn) error {
		_, _, err := s.Workspaces(ctx, in["user"], charter.Page{})
		return err
	}},
	{"Members", []string{"actor", "workspace"}, func(ctx context.Context, s *charter.Service, in gateIn) error {
		_, _, err := s.Members(ctx, in["actor"], in["workspace"], charter.Page{})
		return err
	}},
	{"Import", []string{}, func(ctx context.Context, s *charter.Service, in gateIn) error {
		_, err := s.Import(ctx, strings.NewReader(""), charter.ImportOptions{})
		return err
	}},
	{"Rename", []string{"actor", "workspace", "workspace name"}, func(ctx context.Context, s *charter.Service, in gateIn) error {
		return s.Rename(ctx, in["actor"], in["workspace"], in["workspace name"])
	}},
	{"SetLogo", []string{"actor", "workspace", "logo"}, func(ctx context.Context, s *charter.Service, in gateIn) error {
		return s.SetLogo(ctx, in["actor"], in["workspace"], in["logo"])
	}},
	{"SetPreferences", []string{"actor", "workspace", "preference key", "preference value"}, func(ctx context.Context, s *charter.Service, in gateIn) error {
		return s.SetPreferences(ctx, in["actor"], in["workspace"], map[string]string{in["preference key"]: in["preference value"]}, []string{"old"})
	}},
	{"SetGuestsDisabled", []string{"actor", "workspace"}, func(ctx context.Context, s *charter.Service, in gateIn) error {
		return s.SetGuestsDisabled(ctx, in["actor"], in["workspace"], true)
	}},
	{"DeleteWorkspace", []string{"actor", "workspace"}, func(ctx context.Context, s *charter.Service, in gateIn) error {
		return s.DeleteWorkspace(ctx, in["actor"], in["workspace"])
	}},
}

// gateGood returns well-formed input for every field, in the workspace ws
// of ana (owner) and ben (editor).
func gateGood(ws string) gateIn {
	return gateIn{
		"actor": "ana", "user": "ben", "member": "ben", "to": "ben", "workspace": ws,
		"workspace name": "Team", "email": "cy@example.com", "project": "p1",
		"action": "create_visuals", "role": "editor", "plan": "team", "currency": "credits",
		"idempotency key": "k1", "request": "POST /spend", "token": "no-such-token", "invitation": "inv-1",
		"logo": "https://example.com/logo.png", "preference key": "theme", "preference value": "dark",
	}
}

// countingStore counts the calls that reach the store.
type countingStore struct {
	storage.Store
	n atomic.Int64
}

func (c *countingStore) Update(ctx context.Context, fn func(storage.Tx) error) error {
	c.n.Add(1)
	return c.Store.Update(ctx, fn)
}

func (c *countingStore) View(ctx context.Context, fn func(storage.Tx) error) error {
	c.n.Add(1)
	return c.Store.View(ctx, fn)
}

func (c *countingStore) Access(ctx context.Context, id, user string) (storage.Workspace, storage.Member, bool, error) {
	c.n.Add(1)
	return c.Store.Access(ctx, id, user)
}

// gateWorkspace returns a Service on the credit-pool policy over a counting
// store, and a workspace of ana (owner) with ben (editor).
func gateWorkspace(t *testing.T, open func(testing.TB) storage.Store) (*charter.Service, *countingStore, string) {
	t.Helper()
	cs := &countingStore{Store: open(t)}
	s := newService(t, "credit-pool", cs, newClock())
	w := must[*workspaceT](t)(s.CreateWorkspace(ctx, "ana", "Team", ""))
	inv := must[charter.Invitation](t)(s.Invite(ctx, "ana", w.ID, "ben@example.com", "editor"))
	must[*workspaceT](t)(s.Accept(ctx, "ben", "ben@example.com", inv.Token))
	return s, cs, w.ID
}

// TestGateNilContext calls every method with a nil context on every
// backend: each returns an *InputError naming the context, touches no store
// and panics nowhere, and the store works afterwards (a nil context once
// locked a SQLite store for good).
func TestGateNilContext(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) storage.Store) {
		s, cs, id := gateWorkspace(t, open)
		var nilCtx context.Context
		before := cs.n.Load()
		for _, c := range gateCalls {
			err := c.call(nilCtx, s, gateGood(id))
			var ie *charter.InputError
			if !errors.As(err, &ie) || ie.Field != "context" || !errors.Is(err, charter.ErrInvalid) {
				t.Errorf("%s(nil ctx) = %v, want an *InputError of the context", c.name, err)
			}
		}
		if n := cs.n.Load() - before; n != 0 {
			t.Errorf("calls with a nil context reached the store %d times", n)
		}
		// The store still works, for reads and writes.
		if ok, err := s.Can(ctx, "ben", "view_visuals", id); !ok || err != nil {
			t.Fatalf("Can after nil contexts = %v, %v", ok, err)
		}
		check(t, s.Rename(ctx, "ana", id, "Renamed"))
		must[*workspaceT](t)(s.CreateWorkspace(ctx, "ana", "Second", ""))
	})
}

// TestGateZeroService calls every method of a zero-value and of a nil
// *Service: an error wrapping ErrInvalid each time, never a panic.
func TestGateZeroService(t *testing.T) {
	var zero charter.Service
	var nilService *charter.Service
	for _, s := range []*charter.Service{&zero, nilService} {
		for _, c := range gateCalls {
			if err := c.call(ctx, s, gateGood("ws")); !errors.Is(err, charter.ErrInvalid) {
				t.Errorf("%s on a Service not made by New = %v, want ErrInvalid", c.name, err)
			}
		}
		if s.Policy() != nil {
			t.Errorf("Policy() of a Service not made by New is not nil")
		}
	}
}

// gateBad is hostile text, each value with the reason the gate gives.
var gateBad = []struct{ name, value, reason string }{
	{"NUL", "a\x00b", "contains a control character"},
	{"newline", "a\nb", "contains a control character"},
	{"DEL", "a\x7fb", "contains a control character"},
	{"C1", "a\u0085b", "contains a control character"},
	{"invalid UTF-8", "a\xffb", "is not valid UTF-8"},
	{"surrogate", "a\xed\xa0\x80b", "is not valid UTF-8"},
	{"1 MiB", strings.Repeat("a", 1<<20), "is longer than"},
	{"256 KiB of é", strings.Repeat("é", 1<<17), "is longer than"},
}

// TestGateBadText passes every hostile value in every text argument of
// every method, on every backend: the same *InputError (field, reason,
// message) everywhere, an error text that quotes at most a short prefix, and
// no call that reaches the store (so no cache keeps anything of it).
func TestGateBadText(t *testing.T) {
	type result struct{ backend, err string }
	seen := map[string]result{}
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			s, cs, id := gateWorkspace(t, b.open)
			before := cs.n.Load()
			for _, c := range gateCalls {
				for _, f := range c.fields {
					for _, bad := range gateBad {
						in := gateGood(id)
						in[f] = bad.value
						err := c.call(ctx, s, in)
						var ie *charter.InputError
						switch {
						case !errors.As(err, &ie) || !errors.Is(err, charter.ErrInvalid):
							t.Errorf("%s with %s in %s = %v, want an *InputError", c.name, bad.name, f, err)
							continue
						case ie.Field != f:
							t.Errorf("%s with %s in %s: field %q", c.name, bad.name, f, ie.Field)
						case !strings.HasPrefix(ie.Reason, bad.reason):
							t.Errorf("%s with %s in %s: reason %q, want %q", c.name, bad.name, f, ie.Reason, bad.reason)
						case len(err.Error()) > 400:
							t.Errorf("%s with %s in %s: error of %d bytes", c.name, bad.name, f, len(err.Error()))
						}
						k := c.name + "/" + f + "/" + bad.name
						if r, ok := seen[k]; ok && r.err != err.Error() {
							t.Errorf("%s: %s says %q, %s says %q", k, r.backend, r.err, b.name, err)
						}
						seen[k] = result{b.name, err.Error()}
					}
				}
			}
			if n := cs.n.Load() - before; n != 0 {
				t.Errorf("hostile input reached the store %d times", n)
			}
		})
	}
}

// TestGateAmounts checks the amount rule: 1..MaxAmount (an allowance from
// 0), before the store.
func TestGateAmounts(t *testing.T) {
	s, cs, id := gateWorkspace(t, func(testing.TB) storage.Store { return memoryStore() })
	before := cs.n.Load()
	for _, n := range []int64{0, -1, charter.MaxAmount + 1, -1 << 63} {
		if _, err := s.Fund(ctx, "ana", id, "credits", n, time.Time{}, "k"); !errors.As(err, new(*charter.InputError)) {
			t.Errorf("Fund(%d) = %v, want an *InputError", n, err)
		}
		if _, err := s.Pay(ctx, "ana", id, "credits", n, "k"); !errors.As(err, new(*charter.InputError)) {
			t.Errorf("Pay(%d) = %v, want an *InputError", n, err)
		}
		if n != 0 {
			if err := s.SetAllowance(ctx, "ana", id, "ben", "credits", n); !errors.As(err, new(*charter.InputError)) {
				t.Errorf("SetAllowance(%d) = %v, want an *InputError", n, err)
			}
		}
	}
	if n := cs.n.Load() - before; n != 0 {
		t.Errorf("bad amounts reached the store %d times", n)
	}
	must[charter.Receipt](t)(s.Fund(ctx, "ana", id, "credits", charter.MaxAmount, time.Time{}, "max"))
	check(t, s.SetAllowance(ctx, "ana", id, "ben", "credits", 0))
}

// TestGateCallsListsEveryMethod keeps gateCalls complete: every exported
// Service method that takes a context must be in it, so that a new method
// is tested against nil contexts and hostile text too.
func TestGateCallsListsEveryMethod(t *testing.T) {
	listed := map[string]bool{}
	for _, c := range gateCalls {
		listed[c.name] = true
	}
	ctxType := reflect.TypeFor[context.Context]()
	st := reflect.TypeFor[*charter.Service]()
	for i := range st.NumMethod() {
		m := st.Method(i)
		if m.Type.NumIn() > 1 && m.Type.In(1) == ctxType && !listed[m.Name] {
			t.Errorf("Service.%s takes a context but is not in gateCalls", m.Name)
		}
	}
}
