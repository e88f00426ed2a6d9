package charterhttp_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/charterhttp"
	"github.com/charterhq/charter/policy"
	"github.com/charterhq/charter/storage/memory"
	"github.com/charterhq/charter/workspace"
	"github.com/google/go-cmp/cmp"
)

const testPolicy = `
policy: api
features: [export]
currencies:
  credits: {}
roles:
  owner:  {owner: true, admin: true, rank: 100, spends: true, assigns: [admin, editor, viewer]}
  admin:  {admin: true, rank: 50, spends: true, assigns: [editor, viewer]}
  editor: {rank: 20, spends: true}
  viewer: {rank: 10}
actions:
  view: {}
  generate: {cost: {credits: 2}}
  export: {feature: export}
  invite: {}
  fund: {billing: true}
  allowance: {}
operations:
  invite: invite
  fund_credits: fund
  set_allowance: allowance
plans:
  team:
    default: true
    limits: {members: 3}
    credits:
      credits: {amount: 3, every: month}
permissions:
  view: [owner, admin, editor, viewer]
  generate: [owner, admin, editor]
  export: [owner, admin, editor]
  invite: [owner, admin]
  fund: [owner]
  allowance: [owner, admin]
`

// now is the fixed clock of the tests: periods of the team plan start on
// the workspace's creation, so credits reset on 2026-06-01.
var now = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)

type fixture struct {
	s   *charter.Service
	ws  string // olga owns it; eddie is an editor, vera a viewer
	mux *http.ServeMux
}

// newFixture builds a Service on the memory store, a workspace with three
// members, and a mux with one route of each kind. The actor is the bearer
// token, "" when there is none.
func newFixture(t testing.TB) *fixture {
	t.Helper()
	s, ws := studio(t, testPolicy)
	ctx := context.Background()
	for user, role := range map[string]string{"eddie": "editor", "vera": "viewer"} {
		inv, err := s.Invite(ctx, "olga", ws.ID, user+"@example.com", role)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Accept(ctx, user, user+"@example.com", inv.Token); err != nil {
			t.Fatal(err)
		}
	}
	g := &charterhttp.Guard{Service: s, Actor: bearer, Challenge: "Bearer"}
	mux := http.NewServeMux()
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := charterhttp.FromContext(r.Context())
		if !ok {
			http.Error(w, "no access in context", http.StatusInternalServerError)
			return
		}
		var spent int64
		if a.Receipt != nil {
			spent = a.Receipt.Amount
		}
		json.NewEncoder(w).Encode(map[string]any{
			"actor": a.Actor, "workspace": a.Workspace, "allowed": a.Decision.Allowed,
			"action": a.Decision.Action, "spent": spent,
		})
	})
	mux.Handle("GET /w/{workspace}/view", g.Require("view", echo))
	mux.Handle("GET /w/{workspace}/export", g.Require("export", echo))
	mux.Handle("GET /w/{workspace}/generate", g.Require("generate", echo))
	mux.Handle("POST /w/{workspace}/generate", g.Spend("generate", echo))
	mux.Handle("POST /w/{workspace}/invite", g.Require("view", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, _ := charterhttp.FromContext(r.Context())
		if _, err := s.Invite(r.Context(), a.Actor, a.Workspace, r.FormValue("email"), r.FormValue("role")); err != nil {
			g.Error(w, r, err)
			return
		}
		w.WriteHeader(http.StatusCreated)
	})))
	mux.Handle("GET /me", g.Authenticated(echo))
	return &fixture{s: s, ws: ws.ID, mux: mux}
}

func bearer(r *http.Request) (string, error) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return "", errors.New("no bearer token")
	}
	return token, nil
}

// do sends a request through the mux and returns the status, the content
// type and the body.
func (f *fixture) do(t *testing.T, method, path, actor string, header map[string]string) (int, string, string) {
	t.Helper()
	r := httptest.NewRequest(method, strings.ReplaceAll(path, "$ws", f.ws), nil)
	if actor != "" {
		r.Header.Set("Authorization", "Bearer "+actor)
	}
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	f.mux.ServeHTTP(w, r)
	return w.Code, w.Header().Get("Content-Type"), w.Body.String()
}

func TestStatuses(t *testing.T) {
	f := newFixture(t)
	const problem = "application/problem+json"
	tests := []struct {
		name         string
		method, path string
		actor        string
		header       map[string]string
		status       int
		problem      *charterhttp.Problem // the decoded body, for a problem
	}{
		{name: "allowed", method: "GET", path: "/w/$ws/view", actor: "vera", status: 200},
		{name: "authenticated", method: "GET", path: "/me", actor: "vera", status: 200},
		{name: "no actor", method: "GET", path: "/w/$ws/view", status: 401,
			problem: &charterhttp.Problem{Type: "about:blank", Title: "Unauthorized", Status: 401, Code: "unauthenticated"}},
		{name: "no actor, authenticated route", method: "GET", path: "/me", status: 401,
			problem: &charterhttp.Problem{Type: "about:blank", Title: "Unauthorized", Status: 401, Code: "unauthenticated"}},
		{name: "missing workspace", method: "GET", path: "/w/ws_nope/view", actor: "vera", status: 404,
			problem: &charterhttp.Problem{Type: "about:blank", Title: "Not Found", Status: 404, Code: "not_found"}},
		{name: "not a member", method: "GET", path: "/w/$ws/view", actor: "mallory", status: 404,
			problem: &charterhttp.Problem{Type: "about:blank", Title: "Not Found", Status: 404, Code: "not_found"}},
		{name: "not a member, spend", method: "POST", path: "/w/$ws/generate", actor: "mallory", header: map[string]string{"Idempotency-Key": "k0"}, status: 404,
			problem: &charterhttp.Problem{Type: "about:blank", Title: "Not Found", Status: 404, Code: "not_found"}},
		{name: "role lacks action", method: "GET", path: "/w/$ws/generate", actor: "vera", status: 403,
			problem: &charterhttp.Problem{Type: "about:blank", Title: "Forbidden", Status: 403, Code: "forbidden", Action: "generate", Reason: "role_lacks_action",
				Detail: "the policy does not allow generate: role lacks action"}},
		{name: "plan lacks feature", method: "GET", path: "/w/$ws/export", actor: "eddie", status: 403,
			problem: &charterhttp.Problem{Type: "about:blank", Title: "Forbidden", Status: 403, Code: "forbidden", Action: "export", Reason: "plan_lacks_feature",
				Detail: "the policy does not allow export: plan lacks feature"}},
		{name: "spend without key", method: "POST", path: "/w/$ws/generate", actor: "eddie", status: 400,
			problem: &charterhttp.Problem{Type: "about:blank", Title: "Bad Request", Status: 400, Code: "idempotency_key_missing", Detail: "a spend needs an Idempotency-Key header"}},
		{name: "spend with a reserved key", method: "POST", path: "/w/$ws/generate", actor: "eddie", header: map[string]string{"Idempotency-Key": `"charter:x"`}, status: 400},
		{name: "spend", method: "POST", path: "/w/$ws/generate", actor: "eddie", header: map[string]string{"Idempotency-Key": `"k1"`}, status: 200},
		{name: "spend replayed", method: "POST", path: "/w/$ws/generate", actor: "eddie", header: map[string]string{"Idempotency-Key": "k1"}, status: 200},
		{name: "key reused by another actor", method: "POST", path: "/w/$ws/generate", actor: "olga", header: map[string]string{"Idempotency-Key": "k1"}, status: 422,
			problem: &charterhttp.Problem{Type: "about:blank", Title: "Unprocessable Entity", Status: 422, Code: "idempotency_key_reused", Detail: "this Idempotency-Key was used before for a different request"}},
		{name: "denied spend", method: "POST", path: "/w/$ws/generate", actor: "vera", header: map[string]string{"Idempotency-Key": "k2"}, status: 403},
		// 3 credits a month, 2 a use: the second use finds 1.
		{name: "out of credits", method: "POST", path: "/w/$ws/generate", actor: "olga", header: map[string]string{"Idempotency-Key": "k3"}, status: 402,
			problem: &charterhttp.Problem{Type: "about:blank", Title: "Payment Required", Status: 402, Code: "insufficient_credits", Action: "generate", Reason: "insufficient_credits",
				Currency: "credits", ResetsAt: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)}},
		{name: "out of credits, require", method: "GET", path: "/w/$ws/generate", actor: "olga", status: 402,
			problem: &charterhttp.Problem{Type: "about:blank", Title: "Payment Required", Status: 402, Code: "insufficient_credits", Action: "generate", Reason: "insufficient_credits",
				Currency: "credits", ResetsAt: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)}},
		{name: "invite a fourth member", method: "POST", path: "/w/$ws/invite?email=x@example.com&role=viewer", actor: "olga", status: 409,
			problem: &charterhttp.Problem{Type: "about:blank", Title: "Conflict", Status: 409, Code: "limit_exceeded", Detail: "plan team limit exceeded",
				Limits: []charterhttp.Limit{{Name: "members", Max: 3, Count: 4}}}},
		{name: "invite with a bad email", method: "POST", path: "/w/$ws/invite?email=&role=viewer", actor: "olga", status: 400},
	}
	var notFound string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, ctype, body := f.do(t, tt.method, tt.path, tt.actor, tt.header)
			if status != tt.status {
				t.Fatalf("%s %s: status %d, want %d; body %s", tt.method, tt.path, status, tt.status, body)
			}
			if status < 400 {
				return
			}
			if ctype != problem {
				t.Errorf("Content-Type %q, want %q", ctype, problem)
			}
			var got charterhttp.Problem
			if err := json.Unmarshal([]byte(body), &got); err != nil {
				t.Fatalf("body %q: %v", body, err)
			}
			if tt.problem != nil {
				if diff := cmp.Diff(*tt.problem, got); diff != "" {
					t.Errorf("problem (-want +got):\n%s", diff)
				}
			}
			if status == 404 {
				if notFound == "" {
					notFound = body
				} else if body != notFound {
					t.Errorf("404 body %q differs from another 404's %q", body, notFound)
				}
			}
			if status == 401 {
				if got, _, _ := f.do(t, tt.method, tt.path, tt.actor, tt.header); got != 401 {
					t.Errorf("second try: %d", got)
				}
			}
			for _, secret := range []string{"editor", "viewer", "team", "api.yaml", f.ws} {
				if status == 403 && strings.Contains(body, secret) {
					t.Errorf("403 body %s shows %q", body, secret)
				}
			}
		})
	}
}

func TestChallenge(t *testing.T) {
	f := newFixture(t)
	r := httptest.NewRequest("GET", "/w/"+f.ws+"/view", nil)
	w := httptest.NewRecorder()
	f.mux.ServeHTTP(w, r)
	if got := w.Header().Get("WWW-Authenticate"); got != "Bearer" {
		t.Errorf("WWW-Authenticate = %q, want %q", got, "Bearer")
	}
	// Without a Challenge the header is still sent, as RFC 9110 requires.
	g := &charterhttp.Guard{Service: f.s, Actor: bearer}
	w = httptest.NewRecorder()
	g.Require("view", http.NotFoundHandler()).ServeHTTP(w, r)
	if got := w.Header().Get("WWW-Authenticate"); w.Code != 401 || got != charterhttp.DefaultChallenge {
		t.Errorf("no Challenge: %d, WWW-Authenticate = %q, want 401 with %q", w.Code, got, charterhttp.DefaultChallenge)
	}
}

// TestContext checks what the handler learns: the decision on a Require
// route, the receipt on a Spend route, the same receipt on a retry.
func TestContext(t *testing.T) {
	f := newFixture(t)
	decode := func(body string) map[string]any {
		var m map[string]any
		if err := json.Unmarshal([]byte(body), &m); err != nil {
			t.Fatalf("body %q: %v", body, err)
		}
		return m
	}
	_, _, body := f.do(t, "GET", "/w/$ws/view", "eddie", nil)
	want := map[string]any{"actor": "eddie", "workspace": f.ws, "allowed": true, "action": "view", "spent": 0.0}
	if diff := cmp.Diff(want, decode(body)); diff != "" {
		t.Errorf("Require context (-want +got):\n%s", diff)
	}
	for range 2 {
		_, _, body = f.do(t, "POST", "/w/$ws/generate", "eddie", map[string]string{"Idempotency-Key": "same"})
		want = map[string]any{"actor": "eddie", "workspace": f.ws, "allowed": true, "action": "generate", "spent": 2.0}
		if diff := cmp.Diff(want, decode(body)); diff != "" {
			t.Errorf("Spend context (-want +got):\n%s", diff)
		}
	}
	b, err := f.s.Balance(context.Background(), "eddie", f.ws, "credits")
	if err != nil {
		t.Fatal(err)
	}
	if b.Available != 1 {
		t.Errorf("balance after one spend and its retry = %d, want 1", b.Available)
	}
	if _, ok := charterhttp.FromContext(context.Background()); ok {
		t.Error("FromContext(Background) found an Access")
	}
}

func TestIdempotencyKeyHeader(t *testing.T) {
	tests := []struct {
		header []string
		status int
	}{
		{nil, 400},
		{[]string{""}, 400},
		{[]string{`""`}, 400},
		{[]string{`"a\"b"`}, 200},
		{[]string{`"a\qb"`}, 400},
		{[]string{`"a"b"`}, 400},
		{[]string{"k1", "k2"}, 400},
		{[]string{"bare-token"}, 200},
		{[]string{strings.Repeat("k", 201)}, 400},
	}
	for _, tt := range tests {
		f := newFixture(t)
		r := httptest.NewRequest("POST", "/w/"+f.ws+"/generate", nil)
		r.Header.Set("Authorization", "Bearer eddie")
		for _, v := range tt.header {
			r.Header.Add("Idempotency-Key", v)
		}
		w := httptest.NewRecorder()
		f.mux.ServeHTTP(w, r)
		if w.Code != tt.status {
			t.Errorf("Idempotency-Key %q: status %d, want %d (%s)", tt.header, w.Code, tt.status, w.Body)
		}
	}
}

func TestRegistrationPanics(t *testing.T) {
	f := newFixture(t)
	ok := http.NotFoundHandler()
	for name, register := range map[string]func(){
		"unknown action":    func() { (&charterhttp.Guard{Service: f.s, Actor: bearer}).Require("fly", ok) },
		"free action spent": func() { (&charterhttp.Guard{Service: f.s, Actor: bearer}).Spend("view", ok) },
		"no actor func":     func() { (&charterhttp.Guard{Service: f.s}).Require("view", ok) },
		"no service":        func() { (&charterhttp.Guard{Actor: bearer}).Authenticated(ok) },
		"unknown spend":     func() { (&charterhttp.Guard{Service: f.s, Actor: bearer}).Spend("fly", ok) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			register()
		}()
	}
}

// TestWorkspaceFunc checks a Guard that finds the workspace with a function
// rather than a path value.
func TestWorkspaceFunc(t *testing.T) {
	f := newFixture(t)
	g := &charterhttp.Guard{Service: f.s, Actor: bearer, Workspace: func(r *http.Request) (string, error) {
		id := r.Header.Get("X-Workspace")
		if id == "" {
			return "", errors.New("no workspace header")
		}
		return id, nil
	}}
	h := g.Require("view", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	for _, tt := range []struct {
		ws     string
		status int
	}{{f.ws, 200}, {"", 404}, {"ws_other", 404}} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer vera")
		r.Header.Set("X-Workspace", tt.ws)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tt.status {
			t.Errorf("X-Workspace %q: status %d, want %d", tt.ws, w.Code, tt.status)
		}
	}
}

func TestProblemFor(t *testing.T) {
	tests := []struct {
		err    error
		status int
		code   string
	}{
		{charter.ErrConflict, 409, "conflict"},
		{charter.ErrInvitationExpired, 410, "invitation_expired"},
		{charter.ErrInvitationUsed, 410, "invitation_used"},
		{charter.ErrInvitationRevoked, 410, "invitation_revoked"},
		{&charter.DowngradeError{Plan: "free", Problems: []string{"too many"}}, 409, "limit_exceeded"},
		{charter.ErrAllowanceExceeded, 402, "allowance_exceeded"},
		{errors.New("disk on fire"), 500, "internal"},
		{context.DeadlineExceeded, 500, "internal"},
	}
	for _, tt := range tests {
		p := charterhttp.ProblemFor(tt.err)
		if p.Status != tt.status || p.Code != tt.code {
			t.Errorf("ProblemFor(%v) = %d %s, want %d %s", tt.err, p.Status, p.Code, tt.status, tt.code)
		}
		if tt.status == 500 && p.Detail != "" {
			t.Errorf("ProblemFor(%v) shows %q", tt.err, p.Detail)
		}
	}
}

// TestSpendBodyFingerprint: a Spend route's body and target join the
// idempotency key's fingerprint. A retry with the same body replays the
// receipt and charges nothing; the same key with another body or another
// query string is 422; the handler reads the body the client sent, every
// time; a body over MaxSpendBody is 413 and charges nothing.
func TestSpendBodyFingerprint(t *testing.T) {
	f := newFixture(t)
	g := &charterhttp.Guard{Service: f.s, Actor: bearer, MaxSpendBody: 16}
	mux := http.NewServeMux()
	mux.Handle("POST /w/{workspace}/generate", g.Spend("generate", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("handler reading the body: %v", err)
		}
		a, _ := charterhttp.FromContext(r.Context())
		fmt.Fprintf(w, "%s spent %d", b, a.Receipt.Amount)
	})))
	balance := func() int64 {
		b, err := f.s.Balance(context.Background(), "eddie", f.ws, "credits")
		if err != nil {
			t.Fatal(err)
		}
		return b.Available
	}
	if _, err := f.s.Fund(context.Background(), "olga", f.ws, "credits", 10, time.Time{}, "more"); err != nil {
		t.Fatal(err)
	}
	start := balance()
	for _, tt := range []struct {
		name, query, key, body string
		status                 int
		answer                 string
	}{
		{"first", "", "k", "prompt=cat", 200, "prompt=cat spent 2"},
		{"retry", "", "k", "prompt=cat", 200, "prompt=cat spent 2"},
		{"another body", "", "k", "prompt=dog", 422, ""},
		{"another query", "?n=2", "k", "prompt=cat", 422, ""},
		{"no body", "", "k", "", 422, ""},
		{"too large", "", "k2", strings.Repeat("x", 17), 413, ""},
		{"at the limit", "", "k3", strings.Repeat("x", 16), 200, strings.Repeat("x", 16) + " spent 2"},
	} {
		r := httptest.NewRequest("POST", "/w/"+f.ws+"/generate"+tt.query, strings.NewReader(tt.body))
		r.Header.Set("Authorization", "Bearer eddie")
		r.Header.Set("Idempotency-Key", tt.key)
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		if w.Code != tt.status {
			t.Errorf("%s: status %d, want %d (%s)", tt.name, w.Code, tt.status, w.Body)
		}
		if tt.answer != "" && w.Body.String() != tt.answer {
			t.Errorf("%s: handler answered %q, want %q", tt.name, w.Body, tt.answer)
		}
	}
	if spent := start - balance(); spent != 4 {
		t.Errorf("spent %d in all, want 4: two keys charged once each", spent)
	}
}

// studio returns a Service on the memory store with the policy src, at now,
// and olga's workspace "Studio".
func studio(t testing.TB, src string) (*charter.Service, *workspace.Workspace) {
	t.Helper()
	p, err := policy.Load("api.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	s, err := charter.New(p, memory.New(), charter.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	ws, err := s.CreateWorkspace(context.Background(), "olga", "Studio", "")
	if err != nil {
		t.Fatal(err)
	}
	return s, ws
}
