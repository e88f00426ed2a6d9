package policy

import (
	"strconv"
	"testing"
)

// TestDescriptionRoundTrip: free text with tabs and line breaks of every
// kind comes back from YAML() as it went in (a review found literal blocks
// that lost a leading newline or did not load at all).
func TestDescriptionRoundTrip(t *testing.T) {
	for _, d := range []string{
		"\tIndented by a tab\n",
		"Steps:\n\t1. open\n",
		"\nAfter a blank line",
		"Line one\nLine two",
		"ends with space \nx",
		"\n",
		"\u2028\n",
		"a\rb",
		"tab\tinside",
	} {
		src := edit(t, base, "  edit: {}\n", "  edit: {description: "+strconv.Quote(d)+"}\n")
		p, err := Load("rt.yaml", []byte(src))
		if err != nil {
			t.Fatalf("%q: %v", d, err)
		}
		y := p.YAML()
		q, err := Load("rt.yaml", y)
		if err != nil {
			t.Errorf("description %q: Load(YAML()) fails: %v", d, err)
			continue
		}
		if got := q.Action("edit").Description; got != d {
			t.Errorf("description %q comes back as %q", d, got)
		}
	}
}
