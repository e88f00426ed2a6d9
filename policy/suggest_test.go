package policy

import (
	"testing"

	"pgregory.net/rapid"
)

func TestDidYouMean(t *testing.T) {
	for _, tt := range []struct {
		name       string
		candidates []string
		want       string
	}{
		{"rnak", []string{"description", "owner", "rank", "assigns"}, "rank"},
		{"membr", []string{"owner", "admin", "member", "guest"}, "member"},
		{"adimn", []string{"owner", "admin", "member"}, "admin"},
		{"pro_tools", []string{"pro"}, ""},
		{"x", []string{"y", "z"}, "y"},
		{"rename", []string{"invite", "remove", "change_role"}, ""},
		{"change_pln", []string{"change_role", "change_plan"}, "change_plan"},
		{"rank", []string{"rank"}, ""}, // not a mistake
		{"", []string{"a"}, ""},
	} {
		if got := Nearest(tt.name, tt.candidates); got != tt.want {
			t.Errorf("Nearest(%q, %q) = %q, want %q", tt.name, tt.candidates, got, tt.want)
		}
	}
}

// naiveDistance is the optimal string alignment distance by its
// definition, with the whole table.
func naiveDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// TestDistance: distance is the full table's answer below its bound, and
// at least the bound where it stops early.
func TestDistance(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		word := rapid.StringOfN(rapid.RuneFrom([]rune("abcr_")), 0, maxSuggest, maxSuggest)
		a, b := word.Draw(t, "a"), word.Draw(t, "b")
		bound := rapid.IntRange(1, maxSuggest+1).Draw(t, "bound")
		want := naiveDistance(a, b)
		got := distance(a, b, bound)
		if want < bound && got != want || want >= bound && got < bound {
			t.Fatalf("distance(%q, %q, %d) = %d, want %d", a, b, bound, got, want)
		}
	})
}
