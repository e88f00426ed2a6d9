package main

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/charterhttp"
	"github.com/charterhq/charter/workspace"
)

// api is the JSON API: a Service behind a charterhttp.Guard.
type api struct {
	s *charter.Service
	g *charterhttp.Guard
}

// newAPI returns the API of s; errors answered 500 go to errorLog.
func newAPI(s *charter.Service, errorLog *slog.Logger) *api {
	g := &charterhttp.Guard{Service: s, Actor: actorOf, Challenge: `Bearer realm="httpserver"`, ErrorLog: errorLog}
	return &api{s: s, g: g}
}

// actorOf is the example's stand-in for authentication: the bearer token is
// the user's ID. A real service checks its session or token here.
func actorOf(r *http.Request) (string, error) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" {
		return "", errors.New("no bearer token")
	}
	return token, nil
}

// routes returns the API's routes. Routes that act in a workspace take it
// from the {workspace} path value; each states what it needs from the
// Guard: an authenticated actor (the Service call then authorizes), an
// action (Require), or an action to pay for (Spend).
func (a *api) routes() *http.ServeMux {
	mux := http.NewServeMux()
	auth := func(h http.HandlerFunc) http.Handler { return a.g.Authenticated(h) }
	mux.Handle("POST /workspaces", auth(a.createWorkspace))
	mux.Handle("GET /workspaces", auth(a.listWorkspaces))
	mux.Handle("GET /workspaces/{workspace}", auth(a.getWorkspace))
	mux.Handle("GET /workspaces/{workspace}/members", auth(a.listMembers))
	mux.Handle("POST /workspaces/{workspace}/invitations", auth(a.invite))
	mux.Handle("POST /invitations/accept", auth(a.accept))
	mux.Handle("PUT /workspaces/{workspace}/members/{user}/role", auth(a.changeRole))
	mux.Handle("PUT /workspaces/{workspace}/members/{user}/allowance", auth(a.setAllowance))
	mux.Handle("POST /workspaces/{workspace}/transfer", auth(a.transfer))
	mux.Handle("GET /workspaces/{workspace}/balance/{currency}", auth(a.balance))
	mux.Handle("GET /workspaces/{workspace}/permissions", auth(a.permissions))
	// A feature of the application, guarded by the action it needs.
	mux.Handle("GET /workspaces/{workspace}/settings", a.g.Require("edit_settings", http.HandlerFunc(a.settings)))
	// One spend route per action with a cost: POST .../spend/create_visuals.
	for _, act := range a.s.Policy().Actions() {
		if act.Cost.Amount > 0 {
			mux.Handle("POST /workspaces/{workspace}/spend/"+act.Name, a.g.Spend(act.Name, http.HandlerFunc(a.spent)))
		}
	}
	return mux
}

// actor returns the actor and workspace the Guard let through.
func actor(r *http.Request) (user, ws string) {
	acc, _ := charterhttp.FromContext(r.Context())
	return acc.Actor, r.PathValue("workspace")
}

// decode reads the request's JSON body into v, answering 400 when it is not
// one JSON object of v's fields.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	d := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		charterhttp.WriteProblem(w, charterhttp.Problem{Status: http.StatusBadRequest, Code: "invalid", Detail: "request body: " + err.Error()})
		return false
	}
	return true
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if v != nil {
		json.NewEncoder(w).Encode(v)
	}
}

// Workspace is a workspace as the API shows it.
type Workspace struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Kind    string `json:"kind"`
	Plan    string `json:"plan"`
	Owner   string `json:"owner"`
	Members int    `json:"members"`
}

func workspaceOf(w *workspace.Workspace) Workspace {
	return Workspace{ID: w.ID, Name: w.Name, Kind: w.Kind.String(), Plan: w.Plan.Name, Owner: w.Owner, Members: w.Len()}
}

func (a *api) createWorkspace(w http.ResponseWriter, r *http.Request) {
	user, _ := actor(r)
	var req struct {
		Name string `json:"name"`
		Plan string `json:"plan"`
	}
	if !decode(w, r, &req) {
		return
	}
	ws, err := a.s.CreateWorkspace(r.Context(), user, req.Name, req.Plan)
	if err != nil {
		a.g.Error(w, r, err)
		return
	}
	w.Header().Set("Location", "/workspaces/"+ws.ID)
	reply(w, http.StatusCreated, workspaceOf(ws))
}

// Membership is one of the actor's workspaces.
type Membership struct {
	Workspace string `json:"workspace"`
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	Plan      string `json:"plan"`
	Role      string `json:"role"`
}

// Memberships is a page of the actor's workspaces; Next, when not empty, is
// the cursor of the next page.
type Memberships struct {
	Workspaces []Membership `json:"workspaces"`
	Next       string       `json:"next,omitempty"`
}

// listWorkspaces lists the actor's workspaces, or with ?action= those
// where the action is allowed, a page at a time (?limit=, ?cursor=).
func (a *api) listWorkspaces(w http.ResponseWriter, r *http.Request) {
	user, _ := actor(r)
	q := r.URL.Query()
	var (
		ms   []charter.Membership
		next string
		err  error
	)
	page, ok := pageOf(w, r)
	if !ok {
		return
	}
	if action := q.Get("action"); action != "" {
		ms, next, err = a.s.WorkspacesAllowing(r.Context(), user, action, page)
	} else {
		ms, next, err = a.s.Workspaces(r.Context(), user, page)
	}
	if err != nil {
		a.g.Error(w, r, err)
		return
	}
	out := Memberships{Workspaces: []Membership{}, Next: next}
	for _, m := range ms {
		out.Workspaces = append(out.Workspaces, Membership{Workspace: m.Workspace, Name: m.Name, Kind: m.Kind.String(), Plan: m.Plan, Role: m.Role})
	}
	reply(w, http.StatusOK, out)
}

func (a *api) getWorkspace(w http.ResponseWriter, r *http.Request) {
	user, id := actor(r)
	ws, err := a.s.Workspace(r.Context(), user, id)
	if err != nil {
		a.g.Error(w, r, err)
		return
	}
	reply(w, http.StatusOK, workspaceOf(ws))
}

// Member is a member as the API lists them.
type Member struct {
	User   string    `json:"user"`
	Role   string    `json:"role"`
	Joined time.Time `json:"joined"`
}

// Members is a page of a workspace's members and the cursor of the next
// ("" after the last).
type Members struct {
	Members []Member `json:"members"`
	Next    string   `json:"next,omitempty"`
}

// listMembers lists a workspace's members, by user, a page at a time
// (?limit=, ?cursor=).
func (a *api) listMembers(w http.ResponseWriter, r *http.Request) {
	user, id := actor(r)
	page, ok := pageOf(w, r)
	if !ok {
		return
	}
	ms, next, err := a.s.Members(r.Context(), user, id, page)
	if err != nil {
		a.g.Error(w, r, err)
		return
	}
	out := Members{Members: []Member{}, Next: next}
	for _, m := range ms {
		out.Members = append(out.Members, Member{User: m.User, Role: m.Role.String(), Joined: m.Joined})
	}
	reply(w, http.StatusOK, out)
}

// pageOf reads a listing's ?limit= and ?cursor=, answering 400 to a limit
// that is not a number (charter refuses one out of range).
func pageOf(w http.ResponseWriter, r *http.Request) (charter.Page, bool) {
	q := r.URL.Query()
	limit := 0
	if l := q.Get("limit"); l != "" {
		var err error
		if limit, err = strconv.Atoi(l); err != nil {
			charterhttp.WriteProblem(w, charterhttp.Problem{Status: http.StatusBadRequest, Code: "invalid", Detail: "limit: " + err.Error()})
			return charter.Page{}, false
		}
	}
	return charter.Page{After: q.Get("cursor"), Limit: limit}, true
}

// Invitation is a new invitation: its token is shown once, to the inviter,
// who delivers it (charter sends no mail).
type Invitation struct {
	ID      string    `json:"id"`
	Email   string    `json:"email"`
	Role    string    `json:"role"`
	Expires time.Time `json:"expires"`
	Token   string    `json:"token"`
}

func (a *api) invite(w http.ResponseWriter, r *http.Request) {
	user, id := actor(r)
	var req struct {
		Email string `json:"email"`
		Role  string `json:"role"`
	}
	if !decode(w, r, &req) {
		return
	}
	inv, err := a.s.Invite(r.Context(), user, id, req.Email, req.Role)
	if err != nil {
		a.g.Error(w, r, err)
		return
	}
	reply(w, http.StatusCreated, Invitation{ID: inv.ID, Email: inv.Email, Role: inv.Role, Expires: inv.Expires, Token: inv.Token})
}

func (a *api) accept(w http.ResponseWriter, r *http.Request) {
	user, _ := actor(r)
	var req struct {
		Token string `json:"token"`
		// Email stands in for the verified address a real service knows
		// of its user.
		Email string `json:"email"`
	}
	if !decode(w, r, &req) {
		return
	}
	ws, err := a.s.Accept(r.Context(), user, req.Email, req.Token)
	if err != nil {
		a.g.Error(w, r, err)
		return
	}
	reply(w, http.StatusOK, workspaceOf(ws))
}

func (a *api) changeRole(w http.ResponseWriter, r *http.Request) {
	user, id := actor(r)
	var req struct {
		Role string `json:"role"`
	}
	if !decode(w, r, &req) {
		return
	}
	if err := a.s.ChangeRole(r.Context(), user, id, r.PathValue("user"), req.Role); err != nil {
		a.g.Error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *api) setAllowance(w http.ResponseWriter, r *http.Request) {
	user, id := actor(r)
	var req struct {
		Currency string `json:"currency"`
		Amount   int64  `json:"amount"`
	}
	if !decode(w, r, &req) {
		return
	}
	if err := a.s.SetAllowance(r.Context(), user, id, r.PathValue("user"), req.Currency, req.Amount); err != nil {
		a.g.Error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *api) transfer(w http.ResponseWriter, r *http.Request) {
	user, id := actor(r)
	var req struct {
		To string `json:"to"`
	}
	if !decode(w, r, &req) {
		return
	}
	if err := a.s.TransferOwnership(r.Context(), user, id, req.To); err != nil {
		a.g.Error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// Balance is a pool as a member sees it.
type Balance struct {
	Currency      string    `json:"currency"`
	Available     int64     `json:"available"`
	ResetsAt      time.Time `json:"resets_at,omitzero"`
	Allowance     *int64    `json:"allowance,omitempty"`
	AllowanceLeft *int64    `json:"allowance_left,omitempty"`
}

func (a *api) balance(w http.ResponseWriter, r *http.Request) {
	user, id := actor(r)
	b, err := a.s.Balance(r.Context(), user, id, r.PathValue("currency"))
	if err != nil {
		a.g.Error(w, r, err)
		return
	}
	out := Balance{Currency: b.Currency, Available: b.Available, ResetsAt: b.ResetsAt}
	if b.HasAllowance {
		out.Allowance, out.AllowanceLeft = &b.Allowance, &b.AllowanceLeft
	}
	reply(w, http.StatusOK, out)
}

func (a *api) settings(w http.ResponseWriter, r *http.Request) {
	user, id := actor(r)
	ws, err := a.s.Workspace(r.Context(), user, id)
	if err != nil {
		a.g.Error(w, r, err)
		return
	}
	reply(w, http.StatusOK, map[string]any{"name": ws.Name, "logo": ws.Logo, "preferences": ws.Preferences,
		"guests_disabled": ws.Settings.GuestsDisabled})
}

// Receipt is what a spend took.
type Receipt struct {
	Key      string    `json:"key"`
	Action   string    `json:"action"`
	Member   string    `json:"member"`
	Currency string    `json:"currency"`
	Amount   int64     `json:"amount"`
	Time     time.Time `json:"time"`
}

// spent answers a spend the Guard made: the receipt, the same one for a
// retry with the same Idempotency-Key.
func (a *api) spent(w http.ResponseWriter, r *http.Request) {
	acc, _ := charterhttp.FromContext(r.Context())
	rc := acc.Receipt
	reply(w, http.StatusOK, Receipt{Key: rc.Key, Action: rc.Action, Member: rc.Member, Currency: rc.Currency, Amount: rc.Amount, Time: rc.Time})
}

// Permissions is the actor's permission set as the API shows it: for each
// action, allowed or the reason why not, and for an action with a cost
// whether the pool and the allowance can pay. The policy's rule positions
// stay on the server, in the decision log.
type Permissions struct {
	Role    string       `json:"role"`
	Plan    string       `json:"plan"`
	Actions []Permission `json:"actions"`
	Purses  []Purse      `json:"purses,omitempty"`
}

// Permission is one action of Permissions.
type Permission struct {
	Action        string `json:"action"`
	Allowed       bool   `json:"allowed"`
	Reason        string `json:"reason"`
	Cost          int64  `json:"cost,omitempty"`
	Currency      string `json:"currency,omitempty"`
	PoolPays      bool   `json:"pool_pays,omitempty"`
	AllowancePays bool   `json:"allowance_pays,omitempty"`
}

// Purse is a pool an allowed action with a cost draws on.
type Purse struct {
	Currency      string    `json:"currency"`
	Balance       int64     `json:"balance"`
	ResetsAt      time.Time `json:"resets_at,omitzero"`
	AllowanceLeft *int64    `json:"allowance_left,omitempty"`
}

func (a *api) permissions(w http.ResponseWriter, r *http.Request) {
	user, id := actor(r)
	ps, err := a.s.Permissions(r.Context(), user, id)
	if err != nil {
		a.g.Error(w, r, err)
		return
	}
	out := Permissions{Role: ps.Role, Plan: ps.Plan, Actions: make([]Permission, 0, ps.Len())}
	for p := range ps.All() {
		out.Actions = append(out.Actions, Permission{
			Action: p.Action, Allowed: p.Allowed, Reason: charterhttp.ReasonCode(p.Reason),
			Cost: p.Cost, Currency: p.Currency, PoolPays: p.PoolPays, AllowancePays: p.AllowancePays,
		})
	}
	for _, pu := range ps.Purses {
		out.Purses = append(out.Purses, Purse{Currency: pu.Currency, Balance: pu.Balance, ResetsAt: pu.ResetsAt})
		if pu.HasAllowance {
			out.Purses[len(out.Purses)-1].AllowanceLeft = &pu.AllowanceLeft
		}
	}
	reply(w, http.StatusOK, out)
}
