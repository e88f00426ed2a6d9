package credits_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/charterhq/charter/credits"
)

// BenchmarkSpend measures one Spend that burns two of a pool's five lots.
func BenchmarkSpend(b *testing.B) {
	now := at("2024-02-10")
	base := &credits.Pool{Currency: "ai"}
	if _, err := credits.Reset(base, monthly(10, none), jan31, now); err != nil {
		b.Fatal(err)
	}
	for i := range 4 {
		exp := time.Time{}
		if i%2 == 0 {
			exp = now.AddDate(0, 1, i)
		}
		if _, err := credits.TopUp(base, fmt.Sprint("t", i), 1000, exp, now, credits.Meta{}); err != nil {
			b.Fatal(err)
		}
	}
	p := clone(base)
	a := &credits.Allowance{Member: "ed", Amount: 1 << 40}
	m := credits.Meta{Member: "ed", Action: "gen", Key: "k"}
	b.ReportAllocs()
	for b.Loop() {
		p.Grants = append(p.Grants[:0], base.Grants...)
		if _, err := credits.Spend(p, a, true, 15, now, m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBalance shows that Balance costs the same however long the
// journal behind the pool is: it reads the live lots only.
func BenchmarkBalance(b *testing.B) {
	for _, n := range []int{10, 1_000, 100_000} {
		b.Run(fmt.Sprint("journal=", n), func(b *testing.B) {
			now := at("2024-02-10")
			p := &credits.Pool{Currency: "ai"}
			journal, _ := credits.Reset(p, monthly(10, none), jan31, now)
			for i := range 3 {
				es, err := credits.TopUp(p, fmt.Sprint("t", i), int64(n), time.Time{}, now, credits.Meta{})
				if err != nil {
					b.Fatal(err)
				}
				journal = append(journal, es...)
			}
			for len(journal) < n {
				es, err := credits.Spend(p, nil, false, 1, now, credits.Meta{})
				if err != nil {
					b.Fatal(err)
				}
				journal = append(journal, es...)
			}
			if p.Balance(now) != credits.Sum(journal) {
				b.Fatalf("Balance %d != Sum %d", p.Balance(now), credits.Sum(journal))
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				_ = p.Balance(now)
			}
		})
	}
}

// BenchmarkResetNoop measures the Reset the Service calls before every
// operation when the period has not turned: no allocation.
func BenchmarkResetNoop(b *testing.B) {
	now := at("2024-02-10")
	p := &credits.Pool{Currency: "ai"}
	g := monthly(10, all)
	if _, err := credits.Reset(p, g, jan31, now); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if es, err := credits.Reset(p, g, jan31, now); es != nil || err != nil {
			b.Fatal(es, err)
		}
	}
}

// spent keeps what TestAllocs spends, so the entries escape as they do in
// the Service.
var spent []credits.Entry

// TestAllocs pins the allocations of the calls the Service makes on every
// request.
func TestAllocs(t *testing.T) {
	now := at("2024-02-10")
	p := &credits.Pool{Currency: "ai"}
	g := monthly(1_000_000, none)
	if _, err := credits.Reset(p, g, jan31, now); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { _ = p.Balance(now) }); n != 0 {
		t.Errorf("Balance allocates %v times, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = credits.Reset(p, g, jan31, now) }); n != 0 {
		t.Errorf("Reset in the same period allocates %v times, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { spent, _ = credits.Spend(p, nil, false, 1, now, credits.Meta{}) }); n != 1 {
		t.Errorf("Spend allocates %v times, want 1 (its entries)", n)
	}
	room := make([]credits.Entry, 0, 1)
	if n := testing.AllocsPerRun(100, func() { spent, _ = credits.AppendSpend(room, p, nil, false, 1, now, credits.Meta{}) }); n != 0 {
		t.Errorf("AppendSpend into room allocates %v times, want 0", n)
	}
	if len(spent) != 1 || spent[0].Amount != -1 || &spent[0] != &room[:1][0] {
		t.Errorf("AppendSpend gave %+v, want one entry of -1 in room", spent)
	}
}
