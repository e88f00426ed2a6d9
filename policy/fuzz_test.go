package policy

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad checks that Load never panics, that it returns either a policy
// or a non-empty ErrorList with full positions, and that every policy it
// accepts round-trips through YAML. The size cap and the ban on aliases
// bound its time and memory.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(base))
	f.Add(docExample(f))
	for _, c := range badCases(f) {
		f.Add([]byte(c.src))
	}
	seeds, _ := filepath.Glob("../testdata/policies/*.yaml")
	for _, s := range seeds {
		if src, err := os.ReadFile(s); err == nil {
			f.Add(src)
		}
	}
	f.Add([]byte("a: &a [*a, *a]\nb: *a\n"))
	f.Add([]byte("{{{{{{{{{{[[[[[[[[[["))
	f.Fuzz(func(t *testing.T, src []byte) {
		p, err := Load("fuzz.yaml", src, MaxSize(64<<10))
		if err != nil {
			if p != nil {
				t.Fatal("policy and error")
			}
			list, ok := err.(ErrorList)
			if !ok || len(list) == 0 {
				t.Fatalf("error %T %v is not a non-empty ErrorList", err, err)
			}
			for _, e := range list {
				if e.Pos.Line < 1 || e.Pos.Col < 1 || e.Pos.File != "fuzz.yaml" {
					t.Fatalf("error without a position: %v", e)
				}
			}
			return
		}
		_ = p.Matrix()
		checkRoundTrip(t, p)
	})
}
