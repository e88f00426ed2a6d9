package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/charterhttp"
	"github.com/charterhq/charter/internal/storeurl"
	"github.com/charterhq/charter/policy"
	"github.com/charterhq/charter/storage/postgres/pgtest"
	"github.com/google/go-cmp/cmp"
)

// client talks to the API over real HTTP.
type client struct {
	t    *testing.T
	base string
}

type response struct {
	status  int
	header  http.Header
	body    []byte
	problem charterhttp.Problem
}

// do sends method path as actor ("" for none) with body (JSON-encoded when
// not nil) and the given headers.
func (c *client) do(method, path, actor string, body any, header ...string) response {
	c.t.Helper()
	var rd io.Reader
	if s, ok := body.(string); ok {
		rd = strings.NewReader(s)
	} else if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if actor != "" {
		req.Header.Set("Authorization", "Bearer "+actor)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	out := response{status: resp.StatusCode, header: resp.Header, body: b}
	if resp.StatusCode >= 400 {
		if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
			c.t.Errorf("%s %s: %d with Content-Type %q, want application/problem+json", method, path, resp.StatusCode, ct)
		}
		if err := json.Unmarshal(b, &out.problem); err != nil {
			c.t.Errorf("%s %s: problem %q: %v", method, path, b, err)
		}
	}
	return out
}

// want checks a response's status (and, for a problem, its code) and
// decodes a success's body into v when v is not nil.
func (c *client) want(r response, status int, code string, v any) response {
	c.t.Helper()
	if r.status != status {
		c.t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	if code != "" && r.problem.Code != code {
		c.t.Errorf("problem code %q, want %q; body %s", r.problem.Code, code, r.body)
	}
	if v != nil {
		if err := json.Unmarshal(r.body, v); err != nil {
			c.t.Fatalf("body %s: %v", r.body, err)
		}
	}
	return r
}

// newServer starts the API on the store named by url, over real HTTP, with
// the clock at now.
func newServer(t *testing.T, url string, now func() time.Time) *client {
	t.Helper()
	ctx := context.Background()
	p, err := policy.Load("policy.yaml", policyFile)
	if err != nil {
		t.Fatal(err)
	}
	store, err := storeurl.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	s, err := charter.New(p, store, charter.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newAPI(s, nil).routes())
	t.Cleanup(srv.Close)
	return &client{t: t, base: srv.URL}
}

// stores are the stores the end-to-end test runs on: SQLite always,
// PostgreSQL when CHARTER_POSTGRES_URL is set (scripts/with-postgres.sh).
func stores(t *testing.T) map[string]func(t *testing.T) string {
	return map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return "sqlite:" + t.TempDir() + "/charter.db" },
		"postgres": func(t *testing.T) string { return pgtest.SchemaURL(t) },
		"memory":   func(t *testing.T) string { return "memory" },
	}
}

// TestAPI drives the team flow of the policy's product page (create a
// workspace, invite and accept, change roles, allowances, spending from the
// shared pool, ownership transfer) through the API, and meets every status
// of charterhttp's table on the way.
func TestAPI(t *testing.T) {
	for name, url := range stores(t) {
		t.Run(name, func(t *testing.T) {
			clock := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
			c := newServer(t, url(t), func() time.Time { return clock })
			testFlow(t, c)
		})
	}
}

func testFlow(t *testing.T, c *client) {
	// 401: no actor.
	r := c.want(c.do("GET", "/workspaces", "", nil), 401, "unauthenticated", nil)
	if got := r.header.Get("WWW-Authenticate"); got != `Bearer realm="httpserver"` {
		t.Errorf("WWW-Authenticate = %q", got)
	}

	// Olga creates the team's workspace; she is its owner.
	var ws Workspace
	c.want(c.do("POST", "/workspaces", "olga", map[string]string{"name": "Studio"}), 201, "", &ws)
	if ws.Owner != "olga" || ws.Plan != "team" || ws.Kind != "shared" {
		t.Fatalf("created %+v", ws)
	}
	path := "/workspaces/" + ws.ID

	// 400: a body that is not the route's JSON.
	c.want(c.do("POST", path+"/invitations", "olga", `{"email": "x@example.com", "colour": "red"}`), 400, "invalid", nil)
	c.want(c.do("POST", path+"/invitations", "olga", map[string]string{"email": "x@example.com", "role": "wizard"}), 400, "invalid", nil)

	// She invites an admin, an editor and a reviewer, who accept.
	for user, role := range map[string]string{"adam": "admin", "eddie": "editor", "rita": "reviewer"} {
		var inv Invitation
		c.want(c.do("POST", path+"/invitations", "olga", map[string]string{"email": user + "@example.com", "role": role}), 201, "", &inv)
		c.want(c.do("POST", "/invitations/accept", user, map[string]string{"token": inv.Token, "email": user + "@example.com"}), 200, "", nil)
		// 410: an invitation is used once.
		c.want(c.do("POST", "/invitations/accept", "mallory", map[string]string{"token": inv.Token, "email": user + "@example.com"}), 410, "invitation_used", nil)
	}
	// A page at a time: two pages of 3 and 1.
	roles := map[string]string{}
	var page Members
	c.want(c.do("GET", path+"/members?limit=3", "rita", nil), 200, "", &page)
	if len(page.Members) != 3 || page.Next == "" {
		t.Fatalf("first page of members: %+v, want 3 and a cursor", page)
	}
	for cursor := page.Next; cursor != ""; cursor = page.Next {
		for _, m := range page.Members {
			roles[m.User] = m.Role
		}
		page = Members{}
		c.want(c.do("GET", path+"/members?limit=3&cursor="+cursor, "rita", nil), 200, "", &page)
	}
	for _, m := range page.Members {
		roles[m.User] = m.Role
	}
	if diff := cmp.Diff(map[string]string{"olga": "owner", "adam": "admin", "eddie": "editor", "rita": "reviewer"}, roles); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}

	// 409: the team plan admits 4 members.
	r = c.want(c.do("POST", path+"/invitations", "adam", map[string]string{"email": "fifth@example.com", "role": "editor"}), 409, "limit_exceeded", nil)
	if diff := cmp.Diff([]charterhttp.Limit{{Name: "members", Max: 4, Count: 5}}, r.problem.Limits); diff != "" {
		t.Errorf("limits (-want +got):\n%s", diff)
	}

	// 404: an outsider gets exactly what a missing workspace gets, on every
	// kind of route.
	missing := "/workspaces/ws_00000000000000000000000000000000"
	var bodies []string
	for _, p := range []string{path, missing} {
		bodies = append(bodies,
			string(c.want(c.do("GET", p+"/members", "mallory", nil), 404, "not_found", nil).body),
			string(c.want(c.do("GET", p+"/settings", "mallory", nil), 404, "not_found", nil).body),
			string(c.want(c.do("POST", p+"/spend/create_visuals", "mallory", nil, "Idempotency-Key", "m1"), 404, "not_found", nil).body),
			string(c.want(c.do("GET", p+"/balance/credits", "mallory", nil), 404, "not_found", nil).body),
		)
	}
	bodies = append(bodies, string(c.want(c.do("GET", missing+"/members", "olga", nil), 404, "not_found", nil).body))
	for _, b := range bodies[1:] {
		if b != bodies[0] {
			t.Errorf("404 bodies differ: %q and %q", b, bodies[0])
		}
	}

	// 403: reviewers may not edit settings nor generate; the problem names
	// the action and the reason, nothing of the policy.
	r = c.want(c.do("GET", path+"/settings", "rita", nil), 403, "forbidden", nil)
	want := charterhttp.Problem{Type: "about:blank", Title: "Forbidden", Status: 403, Code: "forbidden",
		Detail: "the policy does not allow edit_settings: role lacks action", Action: "edit_settings", Reason: "role_lacks_action"}
	if diff := cmp.Diff(want, r.problem); diff != "" {
		t.Errorf("403 problem (-want +got):\n%s", diff)
	}
	c.want(c.do("POST", path+"/spend/create_visuals", "rita", nil, "Idempotency-Key", "r1"), 403, "forbidden", nil)
	c.want(c.do("GET", path+"/settings", "adam", nil), 200, "", nil)

	// Editors may not change roles; admins may, never the owner's (an
	// invariant, so 400, not a denial).
	c.want(c.do("PUT", path+"/members/rita/role", "eddie", map[string]string{"role": "editor"}), 403, "forbidden", nil)
	c.want(c.do("PUT", path+"/members/olga/role", "adam", map[string]string{"role": "editor"}), 400, "invalid", nil)
	c.want(c.do("PUT", path+"/members/rita/role", "adam", map[string]string{"role": "editor"}), 204, "", nil)

	// Spending: 400 without a key; a retry with the key charges once; the
	// key reused for another request is 422.
	c.want(c.do("POST", path+"/spend/create_visuals", "eddie", nil), 400, "idempotency_key_missing", nil)
	var first, again Receipt
	c.want(c.do("POST", path+"/spend/create_visuals", "eddie", nil, "Idempotency-Key", `"e1"`), 200, "", &first)
	c.want(c.do("POST", path+"/spend/create_visuals", "eddie", nil, "Idempotency-Key", `"e1"`), 200, "", &again)
	if first != again || first.Amount != 1 {
		t.Errorf("retry receipt %+v, first %+v", again, first)
	}
	c.want(c.do("POST", path+"/spend/create_visuals", "rita", nil, "Idempotency-Key", `"e1"`), 422, "idempotency_key_reused", nil)
	var b Balance
	c.want(c.do("GET", path+"/balance/credits", "eddie", nil), 200, "", &b)
	if b.Available != 9 {
		t.Errorf("balance after one spend and its retry = %d, want 9", b.Available)
	}

	// 402: an admin caps Eddie at 2 a month; his third use is refused with
	// the date the period resets (the workspace's anniversary each month).
	resets := time.Date(2026, 4, 10, 9, 0, 0, 0, time.UTC)
	c.want(c.do("PUT", path+"/members/eddie/allowance", "rita", map[string]any{"currency": "credits", "amount": 2}), 403, "forbidden", nil)
	c.want(c.do("PUT", path+"/members/eddie/allowance", "adam", map[string]any{"currency": "credits", "amount": 2}), 204, "", nil)
	c.want(c.do("POST", path+"/spend/create_visuals", "eddie", nil, "Idempotency-Key", "e2"), 200, "", nil)
	r = c.want(c.do("POST", path+"/spend/create_visuals", "eddie", nil, "Idempotency-Key", "e3"), 402, "allowance_exceeded", nil)
	want = charterhttp.Problem{Type: "about:blank", Title: "Payment Required", Status: 402, Code: "allowance_exceeded",
		Action: "create_visuals", Reason: "outside_allowance", Currency: "credits", ResetsAt: resets}
	if diff := cmp.Diff(want, r.problem); diff != "" {
		t.Errorf("402 problem (-want +got):\n%s", diff)
	}

	// 402: the pool runs dry (10 a month, 2 spent).
	for i := range 8 {
		c.want(c.do("POST", path+"/spend/create_visuals", "rita", nil, "Idempotency-Key", "rita-"+string(rune('a'+i))), 200, "", nil)
	}
	r = c.want(c.do("POST", path+"/spend/create_visuals", "olga", nil, "Idempotency-Key", "o1"), 402, "insufficient_credits", nil)
	if !r.problem.ResetsAt.Equal(resets) || r.problem.Currency != "credits" {
		t.Errorf("402 problem %s: want resets_at %v", r.body, resets)
	}

	// Ownership moves from the owner to an admin, once; then Olga is an
	// admin and may no longer transfer it.
	c.want(c.do("POST", path+"/transfer", "adam", map[string]string{"to": "adam"}), 403, "forbidden", nil)
	c.want(c.do("POST", path+"/transfer", "olga", map[string]string{"to": "eddie"}), 400, "invalid", nil)
	c.want(c.do("POST", path+"/transfer", "olga", map[string]string{"to": "adam"}), 204, "", nil)
	c.want(c.do("GET", path, "olga", nil), 200, "", &ws)
	if ws.Owner != "adam" {
		t.Errorf("owner after transfer = %q, want adam", ws.Owner)
	}
	c.want(c.do("POST", path+"/transfer", "olga", map[string]string{"to": "adam"}), 403, "forbidden", nil)

	// Listing one's workspaces, and those where an action is allowed, a
	// page at a time.
	var mine Memberships
	c.want(c.do("GET", "/workspaces", "eddie", nil), 200, "", &mine)
	if len(mine.Workspaces) != 1 || mine.Workspaces[0].Workspace != ws.ID || mine.Workspaces[0].Role != "editor" || mine.Next != "" {
		t.Errorf("eddie's workspaces: %+v", mine)
	}
	var second Workspace
	c.want(c.do("POST", "/workspaces", "adam", map[string]string{"name": "Second"}), 201, "", &second)
	var ids []string
	cursor := ""
	for range 4 {
		var page Memberships
		c.want(c.do("GET", "/workspaces?action=edit_settings&limit=1&cursor="+cursor, "adam", nil), 200, "", &page)
		for _, m := range page.Workspaces {
			ids = append(ids, m.Workspace)
		}
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	// Adam is an admin of Olga's workspace, and owns the second one and
	// his personal workspace, which creating it made: all three.
	var all Memberships
	c.want(c.do("GET", "/workspaces", "adam", nil), 200, "", &all)
	var want2 []string
	for _, m := range all.Workspaces {
		want2 = append(want2, m.Workspace)
	}
	slices.Sort(want2)
	if len(want2) != 3 || !slices.Contains(want2, ws.ID) || !slices.Contains(want2, second.ID) {
		t.Errorf("adam's workspaces: %+v", all)
	}
	if diff := cmp.Diff(want2, ids); diff != "" {
		t.Errorf("adam's workspaces allowing edit_settings (-want +got):\n%s", diff)
	}
	c.want(c.do("GET", "/workspaces?action=edit_settings", "rita", nil), 200, "", &mine)
	if len(mine.Workspaces) != 0 {
		t.Errorf("rita's workspaces allowing edit_settings: %+v", mine)
	}
	c.want(c.do("GET", "/workspaces?action=edit_settings&limit=x", "rita", nil), 400, "invalid", nil)
	c.want(c.do("GET", "/workspaces?action=edit_settings&limit=5000", "rita", nil), 400, "invalid", nil)

	// The permission set: one call, every action, with what the purse can
	// pay. Eddie (editor, allowance spent) may view but not pay; rita
	// (editor since her promotion, no allowance) may spend nothing: the
	// pool is empty.
	var ps Permissions
	c.want(c.do("GET", path+"/permissions", "eddie", nil), 200, "", &ps)
	got := map[string]Permission{}
	for _, p := range ps.Actions {
		got[p.Action] = p
	}
	if ps.Role != "editor" || len(ps.Actions) != 9 {
		t.Errorf("eddie's permission set: %+v", ps)
	}
	wantPerm := map[string]Permission{
		"view_visuals":  {Action: "view_visuals", Allowed: true, Reason: "allowed"},
		"edit_settings": {Action: "edit_settings", Reason: "role_lacks_action"},
		// Both his allowance and the pool are spent: the allowance is
		// named, as a Spend's 402 names it.
		"create_visuals": {Action: "create_visuals", Reason: "outside_allowance", Cost: 1, Currency: "credits"},
	}
	for name, want := range wantPerm {
		if diff := cmp.Diff(want, got[name]); diff != "" {
			t.Errorf("eddie's permission on %s (-want +got):\n%s", name, diff)
		}
	}
	if len(ps.Purses) != 1 || ps.Purses[0].Balance != 0 || !ps.Purses[0].ResetsAt.Equal(resets) || ps.Purses[0].AllowanceLeft == nil || *ps.Purses[0].AllowanceLeft != 0 {
		t.Errorf("eddie's purses: %+v", ps.Purses)
	}
	c.want(c.do("GET", path+"/permissions", "mallory", nil), 404, "not_found", nil)
	c.want(c.do("GET", path+"/permissions", "", nil), 401, "unauthenticated", nil)
}

// TestREADME runs the README's curl lines for this example (the sh block
// after the "httpserver-curl" marker) against the API on a fresh SQLite
// store, as written but for the address, and checks what they print.
func TestREADME(t *testing.T) {
	for _, tool := range []string{"sh", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found: %v", tool, err)
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(readme), "<!-- httpserver-curl")
	if ok {
		_, block, ok = strings.Cut(block, "```sh\n")
	}
	if ok {
		block, _, ok = strings.Cut(block, "```")
	}
	if !ok {
		t.Fatal("README.md has no sh block after the httpserver-curl marker")
	}
	const addr = "API=http://localhost:8080\n"
	if !strings.HasPrefix(block, addr) {
		t.Fatalf("the README's block does not start with %q", addr)
	}
	c := newServer(t, "sqlite:"+t.TempDir()+"/charter.db", time.Now)
	script := "set -eu\nAPI=" + c.base + "\n" + strings.TrimPrefix(block, addr)
	out, err := exec.Command("sh", "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("the README's curl lines failed: %v\n%s", err, out)
	}
	for _, want := range []string{
		`"role":"editor"`,                          // members
		`"action":"create_visuals","allowed":true`, // permissions
		`"amount":1`,                               // the spend and its retry
		`"available":9`,                            // charged once
		`"code":"unauthenticated"`,
		`{"type":"about:blank","title":"Not Found","status":404,"code":"not_found"}`,
		`"code":"forbidden"`,
		`"code":"idempotency_key_reused"`,
		`"code":"idempotency_key_missing"`,
		`"code":"allowance_exceeded"`,
		`"owner":"eddie"`, // the transfer
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the README's curl lines print no %s:\n%s", want, out)
		}
	}
	if n := strings.Count(string(out), `"code":"idempotency_key_reused"`); n != 2 {
		t.Errorf("the README's curl lines print %d idempotency_key_reused, want 2 (another actor, another body):\n%s", n, out)
	}
	if strings.Contains(string(out), `"code":"internal"`) {
		t.Errorf("the README's curl lines met a 500:\n%s", out)
	}
}
