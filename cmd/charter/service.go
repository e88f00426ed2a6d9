package main

// The calls a suite's steps make on charter.Service, kept together so that
// a change to the Service's signatures is one edit here.

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/policy"
	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/storage/memory"
	"github.com/charterhq/charter/workspace"
)

// A world is one scenario as it runs: a Service over a new memory store, the
// clock it reads, and what the steps' handles stand for.
type world struct {
	svc   *charter.Service
	store storage.Store
	now   time.Time
	ws    map[string]string             // workspace handle -> ID
	inv   map[string]charter.Invitation // invitation handle -> invitation, with its token
	seen  map[string]int64              // workspace handle -> Seq of the event an event step matched last
}

// newWorld returns a world on policy p whose clock reads start. Its IDs and
// tokens come from a fixed seed, so a suite runs the same every time.
func newWorld(p *policy.Policy, start time.Time) (*world, error) {
	w := &world{store: memory.New(), now: start, ws: make(map[string]string), inv: make(map[string]charter.Invitation), seen: make(map[string]int64)}
	svc, err := charter.New(p, w.store, charter.Options{
		Now:  func() time.Time { return w.now },
		Rand: rand.NewChaCha8([32]byte{}),
	})
	w.svc = svc
	return w, err
}

// wantErrors are the Service errors a step's want may name.
var wantErrors = map[string]error{
	"forbidden":            charter.ErrForbidden,
	"not_found":            charter.ErrNotFound,
	"conflict":             charter.ErrConflict,
	"limit_exceeded":       charter.ErrLimitExceeded,
	"invalid":              charter.ErrInvalid,
	"expired":              charter.ErrInvitationExpired,
	"used":                 charter.ErrInvitationUsed,
	"revoked":              charter.ErrInvitationRevoked,
	"insufficient_credits": charter.ErrInsufficientCredits,
	"allowance_exceeded":   charter.ErrAllowanceExceeded,
	"idempotency_mismatch": charter.ErrIdempotencyMismatch,
}

// errDecision returns the decision a forbidden error carries.
func errDecision(err error) (policy.Decision, bool) {
	var fe *charter.ForbiddenError
	if errors.As(err, &fe) {
		return fe.Decision, true
	}
	return policy.Decision{}, false
}

// errLimits returns the names of the limits a limit error reports.
func errLimits(err error) []string {
	var names []string
	var le *charter.LimitError
	if errors.As(err, &le) {
		for _, l := range le.Limits {
			names = append(names, l.Name)
		}
	}
	var de *charter.DowngradeError
	if errors.As(err, &de) {
		for _, p := range de.Problems {
			for _, name := range limitNames {
				if len(p) > len(name) && p[:len(name)+1] == name+" " {
					names = append(names, name)
				}
			}
		}
	}
	return names
}

// do performs an operation step on the Service and returns its error.
func (w *world) do(ctx context.Context, st *step) error {
	id := w.ws[st.ws]
	amount, _ := strconv.ParseInt(st.arg, 10, 64) // checked when decoded
	key := st.Key
	if key == "" {
		key = fmt.Sprintf("step-%d-%d", st.line, st.col)
	}
	switch st.verb {
	case "create":
		var ws *workspace.Workspace
		var err error
		if st.Kind == "personal" {
			ws, err = w.svc.EnsurePersonal(ctx, st.By)
		} else {
			ws, err = w.svc.CreateWorkspace(ctx, st.By, st.arg, st.Plan)
		}
		if err == nil {
			w.ws[st.arg] = ws.ID
		}
		return err
	case "invite":
		var inv charter.Invitation
		var err error
		if st.Project != "" {
			inv, err = w.svc.InviteGuest(ctx, st.By, id, st.arg, st.Project)
		} else {
			inv, err = w.svc.Invite(ctx, st.By, id, st.arg, st.Role)
		}
		if err == nil {
			w.inv[st.As] = inv
		}
		return err
	case "link":
		ttl, _ := parseDuration(st.TTL)
		uses := 1
		if st.Uses != nil {
			uses = int(*st.Uses)
		}
		inv, err := w.svc.CreateLink(ctx, st.By, id, uses, ttl)
		if err == nil {
			w.inv[st.arg] = inv
		}
		return err
	case "accept":
		inv := w.inv[st.arg]
		email := st.Email
		if email == "" {
			email = inv.Email
		}
		_, err := w.svc.Accept(ctx, st.By, email, inv.Token)
		return err
	case "revoke":
		inv := w.inv[st.arg]
		return w.svc.Revoke(ctx, st.By, inv.Workspace, inv.ID)
	case "grant":
		return w.svc.GrantProject(ctx, st.By, id, st.Member, st.arg)
	case "change_role":
		return w.svc.ChangeRole(ctx, st.By, id, st.arg, st.Role)
	case "transfer":
		return w.svc.TransferOwnership(ctx, st.By, id, st.arg)
	case "remove":
		return w.svc.Remove(ctx, st.By, id, st.arg)
	case "leave":
		return w.svc.Leave(ctx, st.arg, id)
	case "change_plan":
		return w.svc.ChangePlan(ctx, st.By, id, st.arg)
	case "guests":
		return w.svc.SetGuestsDisabled(ctx, st.By, id, st.arg == "off")
	case "delete":
		return w.svc.DeleteWorkspace(ctx, st.By, w.ws[st.arg])
	case "fund":
		var expires time.Time
		if st.Expires != "" {
			expires, _ = parseWhen(st.Expires, w.now) // checked when decoded
		}
		_, err := w.svc.Fund(ctx, st.By, id, st.Currency, amount, expires, key)
		return err
	case "allowance":
		return w.svc.SetAllowance(ctx, st.By, id, st.Member, st.Currency, amount)
	case "spend":
		if st.Times == nil {
			_, err := w.svc.Spend(ctx, st.By, st.arg, id, key)
			return err
		}
		for i := range *st.Times {
			if _, err := w.svc.Spend(ctx, st.By, st.arg, id, fmt.Sprintf("%s-%d", key, i+1)); err != nil {
				return fmt.Errorf("spend %d of %d: %w", i+1, *st.Times, err)
			}
		}
		return nil
	case "refund":
		_, err := w.svc.Refund(ctx, st.By, id, st.arg)
		return err
	case "pay":
		_, err := w.svc.Pay(ctx, st.By, id, st.Currency, amount, key)
		return err
	case "earn":
		_, err := w.svc.Earn(ctx, st.By, id, st.Currency, amount, key)
		return err
	}
	return fmt.Errorf("charter test: step %s is not an operation", st.verb)
}

// decide asks the Service to decide a check step.
func (w *world) decide(ctx context.Context, st *step) (charter.Decision, error) {
	return w.svc.Decide(ctx, st.By, st.arg, w.ws[st.ws], st.Project)
}

// balance reads the balance a balance step names.
func (w *world) balance(ctx context.Context, st *step) (charter.Balance, error) {
	return w.svc.Balance(ctx, st.By, w.ws[st.ws], st.Currency)
}

// events returns the events of the workspace with handle, in order.
func (w *world) events(ctx context.Context, handle string) ([]charter.Event, error) {
	return w.svc.Events(ctx, w.ws[handle], 0, 10000)
}

// stored reads the workspace with handle from the store, with its members
// by user.
func (w *world) stored(ctx context.Context, handle string) (storage.Workspace, map[string]string, error) {
	var h storage.Workspace
	members := make(map[string]string)
	err := w.store.View(ctx, func(tx storage.Tx) error {
		var err error
		if h, err = tx.Workspace(ctx, w.ws[handle]); err != nil {
			return err
		}
		ms, err := tx.Members(ctx, h.ID)
		for _, m := range ms {
			members[m.User] = m.Role
		}
		return err
	})
	return h, members, err
}
