// Package scalebench generates the scale workload that charter's speed and
// size figures are measured on, and builds it into each of the structures
// those figures compare: a hand-written floor, policy snapshots and a
// Service over the memory store. Its benchmarks (scalebench_test.go) run
// them side by side in one process.
//
// The workload: the embedded policy (4 roles x 14 actions, 34 allowed
// cells). W workspaces, each with M distinct members drawn from a pool of
// W*M/2 users. Charter keeps exactly one owner per workspace, so the first
// member drawn owns the workspace and the other M-1 hold a role drawn
// uniformly from the three others. Queries name a random workspace and a
// random action; in 90% of them the actor is a random member of that
// workspace, in 10% a pool user who is not (usually a member elsewhere).
// Every draw comes from a seeded generator, so a seed gives the same
// workload every time.
//
// Sizes: Small (W=10, M=5), Medium (W=10,000, M=10: a tenth of Large, to
// iterate on) and Large (W=100,000, M=10: 1,000,000 memberships).
package scalebench

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/policy"
	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/workspace"
)

//go:embed scale.yaml
var policySource []byte

// PolicySource returns the YAML of the workload's policy.
func PolicySource() []byte { return append([]byte(nil), policySource...) }

// LoadPolicy compiles the workload's policy.
func LoadPolicy() (*policy.Policy, error) { return policy.Load("scale.yaml", policySource) }

// PlanName is the plan every workspace of the workload is on.
const PlanName = "team"

// Size is the shape of a workload: how many workspaces, and how many
// members each has.
type Size struct {
	Name       string
	Workspaces int
	Members    int
}

// The sizes the figures are measured at. Medium, a tenth of Large, gives
// ratios and heap sizes in a minute while one works on them.
var (
	Small  = Size{Name: "small", Workspaces: 10, Members: 5}
	Medium = Size{Name: "medium", Workspaces: 10_000, Members: 10}
	Large  = Size{Name: "large", Workspaces: 100_000, Members: 10}
)

// Pool is how many users a workload of this size draws its members from:
// W*M/2, and at least M so that every workspace finds M distinct ones.
func (s Size) Pool() int { return max(s.Workspaces*s.Members/2, s.Members) }

// Member is one membership of a generated workspace.
type Member struct {
	User string
	Role int // index into the policy's roles (policy.Role.Index)
}

// Workspace is one generated workspace. Members[0] is its owner.
type Workspace struct {
	ID      string
	Members []Member
}

// Query is one check: may User perform action Action in workspace
// Workspace?
type Query struct {
	Workspace int32 // index into Workload.Workspaces
	Action    uint8 // index into Workload.Actions
	Member    bool  // whether User is a member of the workspace
	User      string
}

// Workload is a generated workload.
type Workload struct {
	Size       Size
	Users      []string // the pool
	Workspaces []Workspace
	Queries    []Query
	Roles      []string // the policy's role names, by index
	Actions    []string // the policy's action names, by index
	// Masks[a] has bit r set when the policy allows role r action a: the
	// floor's bitmask.
	Masks []uint64
}

// Generate returns the workload of size on policy p with nQueries queries,
// drawn from seed.
func Generate(p *policy.Policy, size Size, seed uint64, nQueries int) (*Workload, error) {
	if size.Workspaces < 1 || size.Members < 1 || nQueries < 1 {
		return nil, fmt.Errorf("scalebench: need at least one workspace, member and query, got %+v and %d queries", size, nQueries)
	}
	owner := p.OwnerRole()
	if owner == nil {
		return nil, fmt.Errorf("scalebench: policy %s has no owner role", p.Name())
	}
	var others []int
	w := &Workload{Size: size}
	for _, r := range p.Roles() {
		w.Roles = append(w.Roles, r.Name)
		if !r.Owner {
			others = append(others, r.Index)
		}
	}
	if len(others) == 0 && size.Members > 1 {
		return nil, fmt.Errorf("scalebench: policy %s has no role besides the owner's", p.Name())
	}
	for _, a := range p.Actions() {
		w.Actions = append(w.Actions, a.Name)
		w.Masks = append(w.Masks, uint64(a.Allowed))
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	w.Users = make([]string, size.Pool())
	for i := range w.Users {
		w.Users[i] = fmt.Sprintf("u%07d", i)
	}
	w.Workspaces = make([]Workspace, size.Workspaces)
	picked := make(map[int]bool, size.Members)
	for i := range w.Workspaces {
		ws := &w.Workspaces[i]
		ws.ID = fmt.Sprintf("ws%07d", i)
		ws.Members = make([]Member, 0, size.Members)
		clear(picked)
		for len(ws.Members) < size.Members {
			u := rng.IntN(len(w.Users))
			if picked[u] {
				continue
			}
			picked[u] = true
			r := owner.Index
			if len(ws.Members) > 0 {
				r = others[rng.IntN(len(others))]
			}
			ws.Members = append(ws.Members, Member{User: w.Users[u], Role: r})
		}
	}
	w.Queries = make([]Query, nQueries)
	for i := range w.Queries {
		wi := rng.IntN(len(w.Workspaces))
		q := Query{Workspace: int32(wi), Action: uint8(rng.IntN(len(w.Actions)))}
		ws := &w.Workspaces[wi]
		if rng.IntN(10) > 0 || len(w.Users) == len(ws.Members) {
			q.Member, q.User = true, ws.Members[rng.IntN(len(ws.Members))].User
		} else {
			for q.User == "" || ws.has(q.User) {
				q.User = w.Users[rng.IntN(len(w.Users))]
			}
		}
		w.Queries[i] = q
	}
	return w, nil
}

func (ws *Workspace) has(user string) bool {
	for _, m := range ws.Members {
		if m.User == user {
			return true
		}
	}
	return false
}

// Memberships is how many memberships the workload holds.
func (w *Workload) Memberships() int { return w.Size.Workspaces * w.Size.Members }

// Floor is the least an authorization check can do: a role index looked up
// in map[workspace ID]map[user ID]uint8 and one bitmask test.
type Floor struct {
	roles map[string]map[string]uint8
	masks []uint64
}

// Floor builds the workload's floor.
func (w *Workload) Floor() *Floor {
	f := &Floor{roles: make(map[string]map[string]uint8, len(w.Workspaces)), masks: w.Masks}
	for _, ws := range w.Workspaces {
		m := make(map[string]uint8, len(ws.Members))
		for _, mb := range ws.Members {
			m[mb.User] = uint8(mb.Role)
		}
		f.roles[ws.ID] = m
	}
	return f
}

// Can reports whether user may perform the action with index action in the
// workspace with id.
func (f *Floor) Can(id, user string, action int) bool {
	r, ok := f.roles[id][user]
	return ok && f.masks[action]&(1<<r) != 0
}

// Snapshots builds one check-only snapshot (workspace.NewSnapshot) per
// workspace, by ID: what policy.Policy.Can checks against.
func (w *Workload) Snapshots(p *policy.Policy) map[string]*workspace.Workspace {
	pl := p.Plan(PlanName)
	roles := p.Roles()
	out := make(map[string]*workspace.Workspace, len(w.Workspaces))
	for _, ws := range w.Workspaces {
		s := workspace.NewSnapshot(ws.ID, workspace.Shared, pl, len(ws.Members))
		s.Owner = ws.Members[0].User
		for _, m := range ws.Members {
			s.Put(workspace.Member{User: m.User, Role: roles[m.Role]})
		}
		out[ws.ID] = s
	}
	return out
}

// Whole builds one whole workspace (workspace.New, then Add) per
// workspace, by ID: every invariant checked, each membership with its
// times, as the Service loads one.
func (w *Workload) Whole(p *policy.Policy, now time.Time) (map[string]*workspace.Workspace, error) {
	pl := p.Plan(PlanName)
	roles := p.Roles()
	out := make(map[string]*workspace.Workspace, len(w.Workspaces))
	for _, ws := range w.Workspaces {
		s, err := workspace.New(ws.ID, workspace.Shared, pl, ws.Members[0].User, roles[ws.Members[0].Role], now)
		if err != nil {
			return nil, fmt.Errorf("scalebench: %s: %w", ws.ID, err)
		}
		for _, m := range ws.Members[1:] {
			if err := s.Add(m.User, roles[m.Role], nil, now); err != nil {
				return nil, fmt.Errorf("scalebench: %s: %w", ws.ID, err)
			}
		}
		out[ws.ID] = s
	}
	return out, nil
}

// Store writes the workload's workspaces and memberships into st by the
// fastest means storage offers, its bulk writes (storage.BulkTx: COPY on
// PostgreSQL, multi-row inserts on SQLite), 500 workspaces to a
// transaction as Service.Import batches them. It bypasses the Service: no
// invariant is checked, no event, pool or personal workspace is written.
// It serves to measure checks, and as the bare insert an import is judged
// against.
func (w *Workload) Store(ctx context.Context, st storage.Store, now time.Time) error {
	const batch = 500
	now = now.UTC().Truncate(time.Microsecond)
	for start := 0; start < len(w.Workspaces); start += batch {
		err := st.Update(ctx, func(tx storage.Tx) error {
			var headers []storage.Workspace
			var members []storage.Member
			for _, ws := range w.Workspaces[start:min(start+batch, len(w.Workspaces))] {
				owner := ws.Members[0].User
				headers = append(headers, storage.Workspace{
					ID: ws.ID, Kind: workspace.Shared, Plan: PlanName, Owner: owner, BillingContact: owner,
					Created: now, Anchor: now, Version: 1,
				})
				for _, m := range ws.Members {
					members = append(members, storage.Member{Workspace: ws.ID, User: m.User, Role: w.Roles[m.Role], Joined: now})
				}
			}
			if err := tx.CreateWorkspaces(ctx, headers); err != nil {
				return fmt.Errorf("scalebench: storing workspaces: %w", err)
			}
			if err := tx.InsertMembers(ctx, members); err != nil {
				return fmt.Errorf("scalebench: storing members: %w", err)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// WriteImport writes the workload as an import file for Service.Import:
// one JSON line per workspace.
func (w *Workload) WriteImport(out io.Writer) error {
	bw := bufio.NewWriterSize(out, 1<<16)
	enc := json.NewEncoder(bw)
	for _, ws := range w.Workspaces {
		rec := charter.ImportRecord{ID: ws.ID, Plan: PlanName, Owner: ws.Members[0].User}
		for _, m := range ws.Members[1:] {
			rec.Members = append(rec.Members, charter.ImportMember{User: m.User, Role: w.Roles[m.Role]})
		}
		if err := enc.Encode(rec); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// Import builds the workload through Service.Import, the way existing
// tenants come in.
func (w *Workload) Import(ctx context.Context, s *charter.Service) (charter.ImportProgress, error) {
	var b bytes.Buffer
	if err := w.WriteImport(&b); err != nil {
		return charter.ImportProgress{}, err
	}
	return s.Import(ctx, &b, charter.ImportOptions{})
}

// Invite builds the workload through the Service the way an application
// adds members one at a time: CreateWorkspace by the owner, then one Invite
// and one Accept per other member. It returns the IDs the Service gave the
// workspaces, by workspace index.
func (w *Workload) Invite(ctx context.Context, s *charter.Service) ([]string, error) {
	ids := make([]string, len(w.Workspaces))
	for i, ws := range w.Workspaces {
		owner := ws.Members[0].User
		created, err := s.CreateWorkspace(ctx, owner, ws.ID, PlanName)
		if err != nil {
			return nil, fmt.Errorf("scalebench: creating %s: %w", ws.ID, err)
		}
		ids[i] = created.ID
		for _, m := range ws.Members[1:] {
			email := m.User + "@example.com"
			inv, err := s.Invite(ctx, owner, created.ID, email, w.Roles[m.Role])
			if err != nil {
				return nil, fmt.Errorf("scalebench: inviting %s to %s: %w", m.User, ws.ID, err)
			}
			if _, err := s.Accept(ctx, m.User, email, inv.Token); err != nil {
				return nil, fmt.Errorf("scalebench: %s accepting %s: %w", m.User, ws.ID, err)
			}
		}
	}
	return ids, nil
}
