package charterhttp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/charterhq/charter/charterhttp"
)

const guestPolicy = `
policy: guests
currencies:
  credits: {}
roles:
  owner: {owner: true, admin: true, rank: 100, spends: true, assigns: [guest]}
  guest: {guest: true, rank: 10, spends: true}
actions:
  render: {scope: project, cost: {credits: 1}}
  view: {scope: project}
operations:
  invite_guest: view
plans:
  team:
    default: true
    credits:
      credits: {amount: 5, every: month}
permissions:
  render: [owner, guest]
  view: [owner, guest]
`

// TestSpendOnProject: a Spend route passes Guard.Project to the Service, so a
// guest spends on a project granted to them, as Require and the permission
// set say they may, and is refused on another.
func TestSpendOnProject(t *testing.T) {
	s, ws := studio(t, guestPolicy)
	ctx := context.Background()
	inv, err := s.InviteGuest(ctx, "olga", ws.ID, "gus@example.com", "p1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Accept(ctx, "gus", "gus@example.com", inv.Token); err != nil {
		t.Fatal(err)
	}
	g := &charterhttp.Guard{Service: s, Actor: bearer, Project: func(r *http.Request) string { return r.PathValue("project") }}
	mux := http.NewServeMux()
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	mux.Handle("GET /w/{workspace}/p/{project}/render", g.Require("render", ok))
	mux.Handle("POST /w/{workspace}/p/{project}/render", g.Spend("render", ok))
	ps, err := s.ProjectPermissions(ctx, "gus", ws.ID, "p1")
	if err != nil {
		t.Fatal(err)
	}
	perm, _ := ps.Permission("render")
	req := serve(mux, "GET", "/w/"+ws.ID+"/p/p1/render", "gus")
	spend := serve(mux, "POST", "/w/"+ws.ID+"/p/p1/render", "gus", "Idempotency-Key", "g1")
	if !perm.Allowed || !perm.PoolPays || req.Code != 200 || spend.Code != 200 {
		t.Errorf("a guest on their project: permission %+v, Require %d, Spend %d %s; want allowed everywhere", perm, req.Code, spend.Code, spend.Body)
	}
	other := serve(mux, "POST", "/w/"+ws.ID+"/p/p2/render", "gus", "Idempotency-Key", "g2")
	if other.Code != 403 || !strings.Contains(other.Body.String(), `"reason":"guest_not_on_project"`) {
		t.Errorf("a guest on another project: %d %s, want 403 guest_not_on_project", other.Code, other.Body)
	}
	// The project joins the key's fingerprint.
	again := serve(mux, "POST", "/w/"+ws.ID+"/p/p1/render", "gus", "Idempotency-Key", "g1")
	if again.Code != 200 {
		t.Errorf("retry on the same project: %d %s", again.Code, again.Body)
	}
	b, err := s.Balance(ctx, "olga", ws.ID, "credits")
	if err != nil || b.Available != 4 {
		t.Errorf("balance %d, %v after one spend and its retry, want 4", b.Available, err)
	}
}

// serve sends method path as actor, with header pairs, through h.
func serve(h http.Handler, method, path, actor string, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, nil)
	r.Header.Set("Authorization", "Bearer "+actor)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

const twoCurrencies = `
policy: two
currencies:
  credits: {}
  tokens: {}
roles:
  owner: {owner: true, admin: true, rank: 100, spends: true}
actions:
  a: {cost: {credits: 1}}
  b: {cost: {tokens: 1}}
plans:
  team:
    default: true
    credits:
      credits: {amount: 5, every: month}
      tokens: {amount: 5, every: month}
permissions:
  a: [owner]
  b: [owner]
`

// TestKeyAcrossCurrencies: the same key for another action is 422, even
// when the actions draw on different currencies.
func TestKeyAcrossCurrencies(t *testing.T) {
	s, ws := studio(t, twoCurrencies)
	g := &charterhttp.Guard{Service: s, Actor: bearer}
	mux := http.NewServeMux()
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	mux.Handle("POST /w/{workspace}/spend", g.Spend("a", ok))
	mux.Handle("POST /w/{workspace}/spend-b", g.Spend("b", ok))
	first := serve(mux, "POST", "/w/"+ws.ID+"/spend", "olga", "Idempotency-Key", "k")
	second := serve(mux, "POST", "/w/"+ws.ID+"/spend-b", "olga", "Idempotency-Key", "k")
	if first.Code != 200 || second.Code != 422 {
		t.Errorf("the same key for another action in another currency: %d, want 422", second.Code)
	}
}
