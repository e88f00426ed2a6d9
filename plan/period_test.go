package plan_test

import (
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/charterhq/charter/plan"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestBoundaryClampsMonthEnd(t *testing.T) {
	anchor := day("2024-01-31")
	want := []string{"2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30", "2024-05-31"}
	for k, w := range want {
		if got := plan.Monthly.Boundary(anchor, int64(k)); !got.Equal(day(w)) {
			t.Errorf("Boundary(%s, %d) = %s, want %s", anchor.Format(time.DateOnly), k, got.Format(time.DateOnly), w)
		}
	}
	if got := plan.Monthly.Boundary(day("2023-01-31"), 1); !got.Equal(day("2023-02-28")) {
		t.Errorf("non-leap February boundary = %s, want 2023-02-28", got.Format(time.DateOnly))
	}
	if got := (plan.Period{N: 1, Unit: plan.Year}).Boundary(day("2024-02-29"), 1); !got.Equal(day("2025-02-28")) {
		t.Errorf("yearly from Feb 29 = %s, want 2025-02-28", got.Format(time.DateOnly))
	}
	if got := plan.Monthly.Boundary(day("2024-03-31"), -1); !got.Equal(day("2024-02-29")) {
		t.Errorf("Boundary(-1) = %s, want 2024-02-29", got.Format(time.DateOnly))
	}
}

func TestBounds(t *testing.T) {
	tests := []struct {
		p                  plan.Period
		anchor, at         string
		wantStart, wantEnd string
	}{
		{plan.Monthly, "2024-01-31", "2024-02-28", "2024-01-31", "2024-02-29"},
		{plan.Monthly, "2024-01-31", "2024-02-29", "2024-02-29", "2024-03-31"},
		{plan.Monthly, "2024-01-15", "2024-01-15", "2024-01-15", "2024-02-15"},
		{plan.Monthly, "2024-01-15", "2023-12-20", "2023-12-15", "2024-01-15"},
		{plan.Period{N: 7, Unit: plan.Day}, "2024-01-01", "2024-01-20", "2024-01-15", "2024-01-22"},
		{plan.Period{N: 1, Unit: plan.Week}, "2024-01-01", "2024-01-07", "2024-01-01", "2024-01-08"},
		{plan.Period{N: 3, Unit: plan.Month}, "2024-11-30", "2025-03-01", "2025-02-28", "2025-05-30"},
	}
	for _, tt := range tests {
		s, e := tt.p.Bounds(day(tt.anchor), day(tt.at))
		if !s.Equal(day(tt.wantStart)) || !e.Equal(day(tt.wantEnd)) {
			t.Errorf("%v.Bounds(%s, %s) = [%s, %s), want [%s, %s)", tt.p, tt.anchor, tt.at,
				s.Format(time.DateOnly), e.Format(time.DateOnly), tt.wantStart, tt.wantEnd)
		}
	}
}

// TestIndexLaw checks that Index places every instant inside its period and
// that boundaries strictly increase.
func TestIndexLaw(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := plan.Period{
			N:    rapid.IntRange(1, 13).Draw(t, "n"),
			Unit: plan.Unit(rapid.IntRange(int(plan.Day), int(plan.Year)).Draw(t, "unit")),
		}
		base := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
		anchor := base.Add(time.Duration(rapid.Int64Range(0, 40*365*24).Draw(t, "anchorHours")) * time.Hour)
		at := base.Add(time.Duration(rapid.Int64Range(0, 40*365*24*60).Draw(t, "atMinutes")) * time.Minute)
		k := p.Index(anchor, at)
		lo, hi := p.Boundary(anchor, k), p.Boundary(anchor, k+1)
		if at.Before(lo) || !at.Before(hi) {
			t.Fatalf("%v: Index(%s, %s) = %d, but period is [%s, %s)", p, anchor, at, k, lo, hi)
		}
		if !lo.Before(hi) {
			t.Fatalf("%v: boundaries %d and %d not increasing: %s, %s", p, k, k+1, lo, hi)
		}
	})
}

func TestParsePeriod(t *testing.T) {
	tests := []struct {
		in   string
		want plan.Period
		ok   bool
	}{
		{"month", plan.Monthly, true},
		{"1 month", plan.Monthly, true},
		{"3 Months", plan.Period{N: 3, Unit: plan.Month}, true},
		{"7 days", plan.Period{N: 7, Unit: plan.Day}, true},
		{"year", plan.Period{N: 1, Unit: plan.Year}, true},
		{"0 days", plan.Period{}, false},
		{"fortnight", plan.Period{}, false},
		{"1 2 days", plan.Period{}, false},
		{"", plan.Period{}, false},
	}
	for _, tt := range tests {
		got, err := plan.ParsePeriod(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParsePeriod(%q) = %v, %v; want %v, ok=%t", tt.in, got, err, tt.want, tt.ok)
		}
		if err == nil {
			if back, _ := plan.ParsePeriod(got.String()); back != got {
				t.Errorf("ParsePeriod(%q).String() = %q does not round-trip", tt.in, got.String())
			}
		}
	}
}

func TestRolloverCarry(t *testing.T) {
	tests := []struct {
		r    plan.Rollover
		rem  int64
		want int64
	}{
		{plan.Rollover{}, 50, 0},
		{plan.Rollover{Kind: plan.RolloverAll}, 50, 50},
		{plan.Rollover{Kind: plan.RolloverCap, Cap: 20}, 50, 20},
		{plan.Rollover{Kind: plan.RolloverCap, Cap: 20}, 5, 5},
		{plan.Rollover{Kind: plan.RolloverAll}, -3, 0},
	}
	for _, tt := range tests {
		if got := tt.r.Carry(tt.rem); got != tt.want {
			t.Errorf("%+v.Carry(%d) = %d, want %d", tt.r, tt.rem, got, tt.want)
		}
	}
}

// FuzzParsePeriod checks that ParsePeriod never panics and that whatever it
// accepts prints back to itself.
func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"month", "1 month", "3 months", "7 days", "year", "0 days", "-1 week", "1000 years", "  2   weeks "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := plan.ParsePeriod(s)
		if err != nil {
			return
		}
		if p.IsZero() || p.N < 1 || p.N > 1000 {
			t.Fatalf("ParsePeriod(%q) = %+v, accepted but invalid", s, p)
		}
		back, err := plan.ParsePeriod(p.String())
		if err != nil || back != p {
			t.Fatalf("ParsePeriod(%q) = %v, which prints as %q and parses as %v, %v", s, p, p.String(), back, err)
		}
	})
}
