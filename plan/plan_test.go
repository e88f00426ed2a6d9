package plan_test

import (
	"testing"

	"github.com/charterhq/charter/plan"
)

func TestLimitAdmits(t *testing.T) {
	tests := []struct {
		lim           plan.Limit
		before, after int
		want          bool
	}{
		{3, 2, 3, true},
		{3, 3, 4, false},
		{3, 5, 5, true}, // over since the policy changed, not growing
		{3, 5, 4, true},
		{3, 5, 6, false},
		{0, 0, 1, false},
		{plan.Unlimited, 0, 1 << 30, true},
	}
	for _, tt := range tests {
		if got := tt.lim.Admits(tt.before, tt.after); got != tt.want {
			t.Errorf("Limit(%d).Admits(%d, %d) = %v, want %v", tt.lim, tt.before, tt.after, got, tt.want)
		}
	}
}
