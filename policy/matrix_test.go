package policy_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// seedPolicies are the policies of the five seed pages, in the pages' order.
var seedPolicies = []string{"spaces", "video-studio", "coins", "team-guests", "credit-pool"}

// TestMatrixGolden compares each seed policy's Matrix with
// testdata/matrix/<name>.golden. Regenerate with
//
//	go test ./policy -run TestMatrixGolden -update
func TestMatrixGolden(t *testing.T) {
	for _, name := range seedPolicies {
		t.Run(name, func(t *testing.T) {
			p := loadSeed(t, name)
			got := p.Matrix()
			if again := p.Matrix(); again != got {
				t.Fatalf("Matrix() is not deterministic:\n%s", cmp.Diff(got, again))
			}
			golden := filepath.Join("testdata", "matrix", name+".golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("%s.Matrix() differs from %s (-want +got):\n%s", name, golden, diff)
			}
		})
	}
}
