package policy

import (
	"fmt"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/charterhq/charter/policy/internal/benchpolicy"
	"github.com/charterhq/charter/workspace"
)

// benchPolicy is the synthetic policy of nRoles roles and nActions
// actions that the benchmarks load and check.
func benchPolicy(nRoles, nActions int) []byte { return benchpolicy.Source(nRoles, nActions) }

// benchWorkspace is a shared workspace on plan pro with n members, member
// k holding role k % len(roles).
func benchWorkspace(tb testing.TB, p *Policy, n int) (*workspace.Workspace, []string) {
	tb.Helper()
	now := time.Unix(0, 0)
	ws, err := workspace.New("w", workspace.Shared, p.Plan("pro"), "u0", p.OwnerRole(), now)
	if err != nil {
		tb.Fatal(err)
	}
	users := []string{"u0"}
	roles := p.Roles()
	for k := 1; k < n; k++ {
		u := fmt.Sprintf("u%d", k)
		r := roles[k%len(roles)]
		if r.Owner {
			r = roles[1%len(roles)]
		}
		if err := ws.Add(u, r, nil, now); err != nil {
			tb.Fatal(err)
		}
		users = append(users, u)
	}
	return ws, users
}

// BenchmarkCan measures the check against a baseline doing the least work
// by hand: a map[string]uint8 lookup of the member's role index and one
// uint64 bit test ("baseline", to compare with Action.Can), plus a
// map[string]int lookup of the action's name ("baseline-by-name", to
// compare with Policy.Can).
func BenchmarkCan(b *testing.B) {
	for _, size := range []struct{ roles, actions int }{{4, 13}, {64, 1000}} {
		p, err := Load("bench.yaml", benchPolicy(size.roles, size.actions))
		if err != nil {
			b.Fatal(err)
		}
		names := make([]string, len(p.Actions()))
		actionIndex := make(map[string]int, len(names))
		masks := make([]uint64, len(names))
		for i, a := range p.Actions() {
			names[i], actionIndex[a.Name], masks[i] = a.Name, i, uint64(a.Allowed)
		}
		for _, members := range []int{10, 10000} {
			ws, users := benchWorkspace(b, p, members)
			roleOf := make(map[string]uint8, len(users))
			for u, m := range ws.Members() {
				roleOf[u] = uint8(m.Role.Index)
			}
			// Both indices advance by primes so (user, action) pairs vary.
			prefix := fmt.Sprintf("%dx%d/members=%d/", size.roles, size.actions, members)
			var sink int
			b.Run(prefix+"Policy.Can", func(b *testing.B) {
				b.ReportAllocs()
				u, a := 0, 0
				for range b.N {
					if p.Can(users[u], names[a], ws) {
						sink++
					}
					u, a = (u+7)%len(users), (a+3)%len(names)
				}
			})
			b.Run(prefix+"baseline-by-name", func(b *testing.B) {
				b.ReportAllocs()
				u, a := 0, 0
				for range b.N {
					r, ok := roleOf[users[u]]
					i, aok := actionIndex[names[a]]
					if ok && aok && masks[i]&(1<<r) != 0 {
						sink++
					}
					u, a = (u+7)%len(users), (a+3)%len(names)
				}
			})
			actions := p.Actions()
			b.Run(prefix+"Action.Can", func(b *testing.B) {
				b.ReportAllocs()
				u, a := 0, 0
				for range b.N {
					if actions[a].Can(users[u], ws) {
						sink++
					}
					u, a = (u+7)%len(users), (a+3)%len(actions)
				}
			})
			b.Run(prefix+"baseline", func(b *testing.B) {
				b.ReportAllocs()
				u, a := 0, 0
				for range b.N {
					if r, ok := roleOf[users[u]]; ok && masks[a]&(1<<r) != 0 {
						sink++
					}
					u, a = (u+7)%len(users), (a+3)%len(actions)
				}
			})
			b.Run(prefix+"floor-role-lookup", func(b *testing.B) {
				b.ReportAllocs()
				u, a := 0, 0
				for range b.N {
					if r := ws.Role(users[u]); r != nil && masks[a]&(1<<uint(r.Index)) != 0 {
						sink++
					}
					u, a = (u+7)%len(users), (a+3)%len(actions)
				}
			})
			b.Run(prefix+"Policy.Decide", func(b *testing.B) {
				b.ReportAllocs()
				u, a := 0, 0
				for range b.N {
					if p.Decide(users[u], names[a], ws, "").Allowed {
						sink++
					}
					u, a = (u+7)%len(users), (a+3)%len(names)
				}
			})
			_ = sink
		}
	}
}

// BenchmarkLoad measures compiling the 64-role, 1,000-action policy, next
// to its baseline: yaml.v3 parsing the same text into a yaml.Node, which
// Load does first. The target is Load within 1.5 times the baseline.
func BenchmarkLoad(b *testing.B) {
	src := benchPolicy(64, 1000)
	b.Run("64x1000", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		b.ReportAllocs()
		for range b.N {
			if _, err := Load("bench.yaml", src); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("64x1000/yaml.v3-parse-only", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		b.ReportAllocs()
		for range b.N {
			var n yaml.Node
			if err := yaml.Unmarshal(src, &n); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The two, one after the other in each iteration, so that both see
	// the same machine: the ratio is what the target is about. They take
	// turns going first, so that neither always pays for the other's
	// garbage. Besides the wall-clock times, the process's CPU time (GC
	// workers included) in each, which a busy machine disturbs less.
	b.Run("64x1000/interleaved", func(b *testing.B) {
		var load, parse, loadCPU, parseCPU time.Duration
		timeLoad := func() {
			start, cpu := time.Now(), cpuTime()
			if _, err := Load("bench.yaml", src); err != nil {
				b.Fatal(err)
			}
			load, loadCPU = load+time.Since(start), loadCPU+cpuTime()-cpu
		}
		timeParse := func() {
			start, cpu := time.Now(), cpuTime()
			var n yaml.Node
			if err := yaml.Unmarshal(src, &n); err != nil {
				b.Fatal(err)
			}
			parse, parseCPU = parse+time.Since(start), parseCPU+cpuTime()-cpu
		}
		for i := range b.N {
			if i%2 == 0 {
				timeLoad()
				timeParse()
			} else {
				timeParse()
				timeLoad()
			}
		}
		if loadCPU > 0 && parseCPU > 0 {
			b.ReportMetric(float64(loadCPU)/float64(parseCPU), "Load/parse-cpu")
		}
		b.ReportMetric(float64(load.Nanoseconds())/float64(b.N), "Load-ns/op")
		b.ReportMetric(float64(parse.Nanoseconds())/float64(b.N), "parse-ns/op")
		b.ReportMetric(float64(load)/float64(parse), "Load/parse")
	})
}

func TestBenchPolicyLoads(t *testing.T) {
	for _, size := range []struct{ roles, actions int }{{4, 13}, {64, 1000}} {
		p, err := Load("bench.yaml", benchPolicy(size.roles, size.actions))
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Roles()) != size.roles || len(p.Actions()) != size.actions {
			t.Fatalf("got %d roles, %d actions", len(p.Roles()), len(p.Actions()))
		}
		checkRoundTrip(t, p)
	}
}
