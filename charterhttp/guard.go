package charterhttp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/policy"
)

// A Guard wraps handlers so that they run only for an authenticated actor
// the policy allows. Set its fields before the first request and do not
// change them afterwards; a Guard is safe for concurrent use.
type Guard struct {
	// Service decides and spends. Required.
	Service *charter.Service
	// Actor returns the authenticated user of r: the application's session
	// or token code. An error, or "" with a nil error, is answered 401; the
	// error is not shown. Required.
	Actor func(r *http.Request) (string, error)
	// Workspace returns the ID of the workspace r acts in. When nil, it is
	// the path value named "workspace" (a route pattern such as
	// "/workspaces/{workspace}/..."). An error or "" is answered 404 with
	// the body of a workspace that does not exist.
	Workspace func(r *http.Request) (string, error)
	// Project returns the project a project-scoped action acts on (see
	// charter.Service.CanProject); nil means no project.
	Project func(r *http.Request) string
	// Challenge is the WWW-Authenticate header of every 401, which RFC
	// 9110 requires, e.g. `Bearer realm="api"`; empty means
	// DefaultChallenge.
	Challenge string
	// ErrorLog, when not nil, receives the errors answered 500, which the
	// client is never shown.
	ErrorLog *slog.Logger
	// MaxSpendBody is the most a Spend route reads of a request's body,
	// which it must read to tell a retry from a different request under
	// the same idempotency key; a larger body is answered 413. Zero means
	// DefaultMaxSpendBody.
	MaxSpendBody int64
}

// DefaultChallenge is the WWW-Authenticate header of a 401 when
// Guard.Challenge is empty.
const DefaultChallenge = "Bearer"

// DefaultMaxSpendBody is the body limit of Spend routes when
// Guard.MaxSpendBody is zero: 1 MiB.
const DefaultMaxSpendBody = 1 << 20

// Access is what a guarded handler learns of its request through
// FromContext. Handlers must not modify it.
type Access struct {
	// Actor is the authenticated user.
	Actor string
	// Workspace and Project are what the request acts on; empty on an
	// Authenticated route.
	Workspace, Project string
	// Decision is the Service's decision on a Require route: allowed, with
	// the reason, the rule's position and, for an action with a cost, the
	// pool's state. On a Spend route it is only Allowed with the action's
	// name; on an Authenticated route it is zero.
	Decision charter.Decision
	// Receipt is the spend's receipt on a Spend route (the first spend's,
	// on a retry with the same idempotency key); nil elsewhere.
	Receipt *charter.Receipt
}

// accessKey is the context key of an *Access.
type accessKey struct{}

// accessCtx carries an Access in the same allocation as the context node
// that holds it.
type accessCtx struct {
	context.Context
	a Access
}

func (c *accessCtx) Value(key any) any {
	if key == (accessKey{}) {
		return &c.a
	}
	return c.Context.Value(key)
}

func (c *accessCtx) String() string { return fmt.Sprint(c.Context) + ".WithValue(charterhttp.Access)" }

// FromContext returns the Access a Guard stored in the context of the
// request it let through, and false when there is none.
func FromContext(ctx context.Context) (*Access, bool) {
	a, ok := ctx.Value(accessKey{}).(*Access)
	return a, ok
}

// carrier is a request copy and the context it carries, allocated
// together.
type carrier struct {
	ctx accessCtx
	req http.Request
}

// with returns r carrying a: r.WithContext's copy, in one allocation with
// the context node (WithContext is inlined, so its own copy stays on the
// stack).
func with(r *http.Request, a Access) *http.Request {
	c := &carrier{ctx: accessCtx{Context: r.Context(), a: a}}
	c.req = *r.WithContext(&c.ctx)
	return &c.req
}

// Authenticated lets a request through to next when Guard.Actor finds its
// actor, and answers 401 otherwise. For routes that act in no workspace yet:
// creating a workspace, accepting an invitation, listing one's workspaces.
func (g *Guard) Authenticated(next http.Handler) http.Handler {
	g.mustConfig("Authenticated")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		actor, ok := g.actor(w, r)
		if !ok {
			return
		}
		next.ServeHTTP(w, with(r, Access{Actor: actor}))
	})
}

// Require lets a request through to next when the Service allows its actor
// action in its workspace (charter.Service.Decide): for an action with a
// cost, also only when the pool and the actor's allowance can pay for it
// now (Require charges nothing; Spend does). Refusals are answered as the
// package doc's table says. Require panics, like http.ServeMux does for a
// bad pattern, when the Guard lacks its Service or Actor or the policy
// declares no action called action.
func (g *Guard) Require(action string, next http.Handler) http.Handler {
	g.mustAction("Require", action)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		actor, id, ok := g.actorIn(w, r)
		if !ok {
			return
		}
		var project string
		if g.Project != nil {
			project = g.Project(r)
		}
		d, err := g.Service.Decide(r.Context(), actor, action, id, project)
		switch {
		case err != nil:
			g.Error(w, r, err)
		case !d.Allowed:
			WriteProblem(w, ProblemForDecision(d))
		default:
			next.ServeHTTP(w, with(r, Access{Actor: actor, Workspace: id, Project: project, Decision: d}))
		}
	})
}

// Spend charges the actor the cost of action in the request's workspace
// (charter.Service.Spend), under the idempotency key of the request's
// Idempotency-Key header, and then runs next with the receipt. A request
// without the header is answered 400, a key used before for a different
// request 422, a pool or allowance that cannot pay 402 with the date the
// period resets. The request's method, target and body (read up to
// MaxSpendBody, 413 past it, and handed on to next unchanged) join the key's
// fingerprint (charter.Service.SpendWith), so the key reused with another
// body is 422 too. Spend panics, like Require, on a Guard without Service or
// Actor, or an action that is unknown or costs nothing.
func (g *Guard) Spend(action string, next http.Handler) http.Handler {
	if a := g.mustAction("Spend", action); a.Cost.Amount <= 0 {
		panic(fmt.Sprintf("charterhttp: Spend(%q): the action costs nothing", action))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		actor, id, ok := g.actorIn(w, r)
		if !ok {
			return
		}
		key, err := idempotencyKey(r.Header)
		if err != nil {
			code := "invalid"
			if errors.Is(err, errNoKey) {
				code = "idempotency_key_missing"
			}
			WriteProblem(w, Problem{Status: http.StatusBadRequest, Code: code, Detail: err.Error()})
			return
		}
		body, err := g.spendBody(w, r)
		if err != nil {
			g.write(w, r, bodyProblem(err), err)
			return
		}
		var project string
		if g.Project != nil {
			project = g.Project(r)
		}
		ctx := r.Context()
		rc, err := g.Service.SpendWith(ctx, actor, action, id, key, charter.SpendOptions{Project: project, Request: requestDigest(r, body)})
		if err != nil {
			p := ProblemFor(err)
			if p.Status == http.StatusPaymentRequired {
				// Only a refusal reads the pool again, for its reset date.
				if d, err := g.Service.Decide(ctx, actor, action, id, project); err == nil {
					p.Currency, p.ResetsAt = d.Currency, d.ResetsAt
				}
				p.Action = action
			}
			g.write(w, r, p, err)
			return
		}
		d := charter.Decision{Decision: policy.Decision{Allowed: true, Action: action}}
		r = with(r, Access{Actor: actor, Workspace: id, Project: project, Decision: d, Receipt: &rc})
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

// spendBody reads r's body, up to the Guard's limit, for requestDigest.
func (g *Guard) spendBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	limit := g.MaxSpendBody
	if limit <= 0 {
		limit = DefaultMaxSpendBody
	}
	return io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
}

// bodyProblem answers a spend whose body could not be read: 413 when it is
// over the limit, 400 otherwise.
func bodyProblem(err error) Problem {
	if mb, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return Problem{Status: http.StatusRequestEntityTooLarge, Code: "body_too_large", Detail: fmt.Sprintf("a spend's body may have at most %d bytes", mb.Limit)}
	}
	return Problem{Status: http.StatusBadRequest, Code: "invalid", Detail: "the request body could not be read"}
}

// requestDigest identifies a spend request beyond its actor and action (see
// charter.Service.SpendWith): the SHA-256 of its method, target (path and
// query) and body, so that a key reused for a different request is 422, as
// the Idempotency-Key draft asks.
func requestDigest(r *http.Request, body []byte) string {
	h := sha256.New()
	h.Write([]byte(r.Method))
	h.Write([]byte{0})
	h.Write([]byte(r.URL.RequestURI()))
	h.Write([]byte{0})
	h.Write(body)
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// Error answers err, an error of a Service call, as the package doc's table
// says, and logs it to ErrorLog when it is answered 500.
func (g *Guard) Error(w http.ResponseWriter, r *http.Request, err error) {
	g.write(w, r, ProblemFor(err), err)
}

func (g *Guard) write(w http.ResponseWriter, r *http.Request, p Problem, err error) {
	if p.Status == http.StatusInternalServerError && g.ErrorLog != nil {
		g.ErrorLog.ErrorContext(r.Context(), "charterhttp: internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	WriteProblem(w, p)
}

// actor returns the request's actor, or answers 401 and returns false.
func (g *Guard) actor(w http.ResponseWriter, r *http.Request) (string, bool) {
	actor, err := g.Actor(r)
	if err != nil || actor == "" {
		challenge := g.Challenge
		if challenge == "" {
			challenge = DefaultChallenge
		}
		w.Header().Set("WWW-Authenticate", challenge)
		WriteProblem(w, Problem{Status: http.StatusUnauthorized, Code: "unauthenticated"})
		return "", false
	}
	return actor, true
}

// actorIn returns the request's actor and workspace, or answers 401 or 404
// and returns false.
func (g *Guard) actorIn(w http.ResponseWriter, r *http.Request) (actor, id string, ok bool) {
	if actor, ok = g.actor(w, r); !ok {
		return "", "", false
	}
	if id, ok = g.workspace(w, r); !ok {
		return "", "", false
	}
	return actor, id, true
}

// workspace returns the request's workspace, or answers 404 and returns
// false.
func (g *Guard) workspace(w http.ResponseWriter, r *http.Request) (string, bool) {
	var id string
	var err error
	if g.Workspace != nil {
		id, err = g.Workspace(r)
	} else {
		id = r.PathValue("workspace")
	}
	if err != nil || id == "" {
		writeNotFound(w)
		return "", false
	}
	return id, true
}

func (g *Guard) mustConfig(method string) {
	if g.Service == nil || g.Actor == nil {
		panic("charterhttp: " + method + " on a Guard without Service or Actor")
	}
}

func (g *Guard) mustAction(method, action string) *policy.Action {
	g.mustConfig(method)
	a := g.Service.Policy().Action(action)
	if a == nil {
		panic(fmt.Sprintf("charterhttp: %s(%q): policy %s declares no such action", method, action, g.Service.Policy().Name()))
	}
	return a
}

// errNoKey is the refusal of a spend without an idempotency key.
var errNoKey = errors.New("a spend needs an Idempotency-Key header")

// idempotencyKey returns the request's Idempotency-Key: a structured-field
// string (RFC 8941: "..." with \" and \\ escapes) or, leniently, a bare
// value.
func idempotencyKey(h http.Header) (string, error) {
	vs := h.Values("Idempotency-Key")
	switch {
	case len(vs) == 0 || vs[0] == "":
		return "", errNoKey
	case len(vs) > 1:
		return "", errors.New("more than one Idempotency-Key header")
	}
	v := vs[0]
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return v, nil
	}
	var b strings.Builder
	for i := 1; i < len(v)-1; i++ {
		c := v[i]
		switch {
		case c == '\\' && i+1 < len(v)-1 && (v[i+1] == '"' || v[i+1] == '\\'):
			i++
			c = v[i]
		case c == '\\' || c == '"' || c < 0x20 || c > 0x7e:
			return "", fmt.Errorf("the Idempotency-Key %s is not a structured-field string", v)
		}
		b.WriteByte(c)
	}
	if b.Len() == 0 {
		return "", errNoKey
	}
	return b.String(), nil
}
