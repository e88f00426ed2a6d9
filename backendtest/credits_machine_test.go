package backendtest_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/plan"
	"github.com/charterhq/charter/policy"
)

// The model's copy of testdata/credits-machine.yaml.
var (
	cmCost   = map[string]int64{"gen": 2, "big": 5}
	cmSpends = map[string]bool{"owner": true, "admin": true, "editor": true}
	cmAdmin  = map[string]bool{"owner": true, "admin": true}
	cmMay    = map[string][]string{"gen": {"owner", "admin", "editor"}, "big": {"owner", "admin", "editor"}}
)

const cmGrant = 10

type cmLot struct {
	id        string
	created   time.Time
	remaining int64
}

type cmAllowance struct {
	amount, spent int64
	period        int64
}

type cmReceipt struct {
	member, action string
	amount         int64
	period         int64
	lots           map[string]int64
	fund           bool
	refunded       bool
}

// creditModel is the plain model of one workspace's credit pool.
type creditModel struct {
	anchor     time.Time
	period     int64 // the period the model last brought the pool to
	started    bool
	periodic   int64    // remaining of this period's grant, lot "period:<k>"
	kept       []*cmLot // top-ups in burn order (oldest first)
	roles      map[string]string
	allowances map[string]*cmAllowance
	receipts   map[string]*cmReceipt
	spent      map[string]int64           // member -> net spent over all periods
	byPeriod   map[string]map[int64]int64 // member -> period -> net spent
	resets     int
}

func (m *creditModel) advance(now time.Time) {
	k := plan.Monthly.Index(m.anchor, now)
	if m.started && k == m.period {
		return
	}
	if m.started {
		m.resets += int(k - m.period)
		// Exhausted top-ups leave the pool at a reset.
		m.kept = slices.DeleteFunc(m.kept, func(l *cmLot) bool { return l.remaining == 0 })
	} else {
		m.resets++
	}
	m.started, m.period, m.periodic = true, k, cmGrant
}

// cmBurnOrder orders the model's kept lots, none of which expires: oldest
// first, then by lot ID (the documented burn order), so two made at one
// instant go by ID.
func cmBurnOrder(a, b *cmLot) int {
	if c := a.created.Compare(b.created); c != 0 {
		return c
	}
	return strings.Compare(a.id, b.id)
}

func (m *creditModel) balance() int64 {
	n := m.periodic
	for _, l := range m.kept {
		n += l.remaining
	}
	return n
}

func (m *creditModel) left(member string) (int64, bool) {
	a, ok := m.allowances[member]
	if !ok {
		return 0, false
	}
	if a.period == m.period {
		return a.amount - a.spent, true
	}
	return a.amount, true
}

type creditMachine struct {
	s  *charter.Service
	c  *clock
	id string
	m  *creditModel
}

func (cm *creditMachine) now() time.Time { return cm.c.Now().UTC().Truncate(time.Microsecond) }

var cmPeople = []string{"own", "adm", "edi", "rev", "out"}

func (cm *creditMachine) actions() map[string]func(*rapid.T) {
	who := rapid.SampledFrom(cmPeople)
	key := rapid.SampledFrom([]string{"k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7"})
	return map[string]func(*rapid.T){
		"fund": func(t *rapid.T) {
			actor, k := who.Draw(t, "actor"), key.Draw(t, "key")
			amount := rapid.Int64Range(1, 8).Draw(t, "amount")
			m := cm.m
			m.advance(cm.now())
			prev, seen := m.receipts[k]
			role, member := m.roles[actor]
			ok := member && cmAdmin[role]
			if seen {
				ok = member && prev.fund && prev.member == actor && prev.amount == amount
			}
			_, err := cm.s.Fund(ctx, actor, cm.id, "credits", amount, time.Time{}, k)
			expect(t, "Fund", err, ok)
			if err == nil && !seen {
				m.kept = append(m.kept, &cmLot{id: "key:" + k, created: cm.now(), remaining: amount})
				slices.SortStableFunc(m.kept, cmBurnOrder)
				m.receipts[k] = &cmReceipt{member: actor, amount: amount, fund: true}
			}
		},
		"allow": func(t *rapid.T) {
			actor, member := who.Draw(t, "actor"), who.Draw(t, "member")
			amount := rapid.Int64Range(0, 12).Draw(t, "amount")
			m := cm.m
			m.advance(cm.now())
			ok := cmAdmin[m.roles[actor]] && cmSpends[m.roles[member]]
			err := cm.s.SetAllowance(ctx, actor, cm.id, member, "credits", amount)
			expect(t, "SetAllowance", err, ok)
			if err == nil {
				if a, had := m.allowances[member]; had {
					a.amount = amount
				} else {
					// A new allowance counts what was spent this period.
					m.allowances[member] = &cmAllowance{amount: amount, period: m.period, spent: m.byPeriod[member][m.period]}
				}
			}
		},
		"spend": func(t *rapid.T) {
			actor, k := who.Draw(t, "actor"), key.Draw(t, "key")
			action := rapid.SampledFrom([]string{"gen", "big"}).Draw(t, "action")
			m := cm.m
			m.advance(cm.now())
			cost := cmCost[action]
			role, member := m.roles[actor]
			prev, seen := m.receipts[k]
			var ok bool
			if seen {
				ok = member && !prev.fund && prev.member == actor && prev.action == action
			} else {
				left, has := m.left(actor)
				ok = member && slices.Contains(cmMay[action], role) && cmSpends[role] &&
					(!has || left >= cost) && m.balance() >= cost
			}
			r, err := cm.s.Spend(ctx, actor, action, cm.id, k)
			expect(t, "Spend", err, ok)
			if err != nil {
				return
			}
			if seen {
				if r.Amount != prev.amount || r.Period != prev.period {
					t.Fatalf("retried Spend(%s) = %+v, first %+v", k, r, prev)
				}
				return
			}
			rc := &cmReceipt{member: actor, action: action, amount: cost, period: m.period, lots: map[string]int64{}}
			need := cost
			if x := min(need, m.periodic); x > 0 {
				m.periodic -= x
				need -= x
				rc.lots[fmt.Sprintf("period:%d", m.period)] = x
			}
			for _, l := range m.kept {
				x := min(need, l.remaining)
				if x > 0 {
					l.remaining -= x
					need -= x
					rc.lots[l.id] = x
				}
			}
			if a, has := m.allowances[actor]; has {
				if a.period != m.period {
					a.period, a.spent = m.period, 0
				}
				a.spent += cost
			}
			m.receipts[k] = rc
			m.spent[actor] += cost
			if m.byPeriod[actor] == nil {
				m.byPeriod[actor] = make(map[int64]int64)
			}
			m.byPeriod[actor][m.period] += cost
			for lot, x := range rc.lots {
				if got := lotOf(r, lot); got != x {
					t.Fatalf("Spend(%s) took %d from %s, model %d (receipt %+v)", k, got, lot, x, r)
				}
			}
		},
		"refund": func(t *rapid.T) {
			actor, k := who.Draw(t, "actor"), key.Draw(t, "key")
			m := cm.m
			m.advance(cm.now())
			rc, seen := m.receipts[k]
			role, member := m.roles[actor]
			ok := member && seen && !rc.fund && cmAdmin[role] // refunds are managing credits
			_, err := cm.s.Refund(ctx, actor, cm.id, k)
			expect(t, "Refund", err, ok)
			if err != nil || rc.refunded {
				return
			}
			rc.refunded = true
			var back int64
			for lot, x := range rc.lots {
				if lot == fmt.Sprintf("period:%d", m.period) {
					m.periodic += x
					back += x
					continue
				}
				if strings.HasPrefix(lot, "period:") {
					continue // its period closed
				}
				i := slices.IndexFunc(m.kept, func(l *cmLot) bool { return l.id == lot })
				if i >= 0 {
					m.kept[i].remaining += x
				} else {
					// The top-up ran out and left at a reset: its
					// credits come back as a lot of their own.
					m.kept = append(m.kept, &cmLot{id: credits.RefundID(k, lot), created: cm.now(), remaining: x})
					slices.SortStableFunc(m.kept, cmBurnOrder)
				}
				back += x
			}
			if a, has := m.allowances[rc.member]; has && a.period == rc.period {
				a.spent = max(0, a.spent-back)
			}
			m.spent[rc.member] -= back
			m.byPeriod[rc.member][rc.period] -= back
		},
		"role": func(t *rapid.T) {
			actor := who.Draw(t, "actor")
			target := rapid.SampledFrom([]string{"adm", "edi", "rev"}).Draw(t, "target")
			role := rapid.SampledFrom([]string{"admin", "editor", "reviewer"}).Draw(t, "role")
			m := cm.m
			m.advance(cm.now())
			ok := cmAdmin[m.roles[actor]] && actor != target
			err := cm.s.ChangeRole(ctx, actor, cm.id, target, role)
			expect(t, "ChangeRole", err, ok)
			if err == nil {
				m.roles[target] = role
				if !cmSpends[role] {
					delete(m.allowances, target)
				}
			}
		},
		"clock": func(t *rapid.T) {
			cm.c.Add(time.Duration(rapid.Int64Range(1, 70*24).Draw(t, "hours")) * time.Hour)
		},
		"": func(t *rapid.T) { cm.check(t) },
	}
}

func lotOf(r charter.Receipt, grant string) int64 {
	for _, l := range r.Lots {
		if l.Grant == grant {
			return l.Amount
		}
	}
	return 0
}

func (cm *creditMachine) check(t *rapid.T) {
	m := cm.m
	m.advance(cm.now())
	b, err := cm.s.Balance(ctx, "own", cm.id, "credits")
	if err != nil {
		t.Fatal(err)
	}
	if b.Available != m.balance() || b.Available < 0 {
		t.Fatalf("balance %d, model %d", b.Available, m.balance())
	}
	j, err := journalOf(cm.s, "own", cm.id, "credits")
	if err != nil {
		t.Fatal(err)
	}
	if sum := credits.Sum(j); sum != b.Available {
		t.Fatalf("journal sums to %d, balance %d", sum, b.Available)
	}
	resets := map[int64]int{}
	spendsPerKey := map[string]map[int64]bool{}
	for _, e := range j {
		switch e.Kind {
		case credits.KindReset:
			resets[e.Period]++
			if resets[e.Period] > 1 {
				t.Fatalf("period %d reset twice", e.Period)
			}
		case credits.KindSpend:
			if spendsPerKey[e.Key] == nil {
				spendsPerKey[e.Key] = map[int64]bool{}
			}
			spendsPerKey[e.Key][e.Period] = true
			if len(spendsPerKey[e.Key]) > 1 {
				t.Fatalf("key %s spent in two periods", e.Key)
			}
		}
	}
	if len(resets) != m.resets {
		t.Fatalf("%d resets in the journal, model %d", len(resets), m.resets)
	}
	pools, err := credits.Replay(j)
	if err != nil {
		t.Fatalf("Replay: %v", err)
	}
	if got := pools["credits"].Balance(cm.now()); got != b.Available {
		t.Fatalf("replayed balance %d, live %d", got, b.Available)
	}
	rows, err := spendTableOf(cm.s, "own", cm.id, "credits")
	if err != nil {
		t.Fatal(err)
	}
	net := map[string]int64{}
	for _, r := range rows {
		net[r.Member] += r.Spent
	}
	for _, p := range cmPeople {
		if net[p] != m.spent[p] {
			t.Fatalf("spend table says %s spent %d, model %d", p, net[p], m.spent[p])
		}
	}
	// Each member's remaining allowance, as the Service reports it to them.
	for _, p := range []string{"own", "adm", "edi"} {
		if _, member := m.roles[p]; !member {
			continue
		}
		b, err := cm.s.Balance(ctx, p, cm.id, "credits")
		if err != nil {
			t.Fatal(err)
		}
		left, has := m.left(p)
		if b.HasAllowance != has || has && b.AllowanceLeft != max(0, left) {
			t.Fatalf("%s: allowance %t with %d left, model %t with %d", p, b.HasAllowance, b.AllowanceLeft, has, max(0, left))
		}
	}
}

// TestCreditsMachine drives funds, allowances, spends with repeated keys,
// refunds, role changes and clock jumps across period boundaries through the
// Service on every backend, checking the pool against a model after every
// step: never negative, no allowance exceeded, balance equal to the journal's
// sum and to its replay, each key applied once, each period reset once.
func TestCreditsMachine(t *testing.T) {
	p, err := policy.LoadFile("testdata/credits-machine.yaml")
	check(t, err)
	runMachine(t, p, "own", "", func(_ *rapid.T, s *charter.Service, c *clock, ws *workspaceT) map[string]func(*rapid.T) {
		for _, j := range [][2]string{{"adm", "admin"}, {"edi", "editor"}, {"rev", "reviewer"}} {
			join(t, s, "own", ws.ID, j[0], j[1])
		}
		cm := &creditMachine{s: s, c: c, id: ws.ID, m: &creditModel{
			anchor:     ws.Anchor,
			roles:      map[string]string{"own": "owner", "adm": "admin", "edi": "editor", "rev": "reviewer"},
			allowances: map[string]*cmAllowance{},
			receipts:   map[string]*cmReceipt{},
			spent:      map[string]int64{},
			byPeriod:   map[string]map[int64]int64{},
		}}
		return cm.actions()
	})
}
