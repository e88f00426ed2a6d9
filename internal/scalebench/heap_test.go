package scalebench

import (
	"testing"

	"github.com/charterhq/charter/workspace"
)

// TestSnapshotHeap pins what check-only snapshots of the medium workload
// (100,000 memberships) hold: at most 1.5 times the floor's live heap,
// measured in the same run. Whole workspaces, with every membership's
// times and a count of each role, are reported beside them.
func TestSnapshotHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("measures the heap")
	}
	p := loadPolicy(t)
	w := generate(t, p, Medium, 1)
	_, floor := measure(t, func() (*Floor, error) { return w.Floor(), nil })
	_, snaps := measure(t, func() (map[string]*workspace.Workspace, error) { return w.Snapshots(p), nil })
	_, whole := measure(t, func() (map[string]*workspace.Workspace, error) { return w.Whole(p, epoch) })
	ratio := float64(snaps.heap) / float64(floor.heap)
	t.Logf("floor %.1f MiB, snapshots %.1f MiB (%.2fx), whole workspaces %.1f MiB (%.2fx)",
		mib(floor.heap), mib(snaps.heap), ratio, mib(whole.heap), float64(whole.heap)/float64(floor.heap))
	if ratio > 1.5 {
		t.Errorf("check-only snapshots hold %.2fx the floor's heap, want at most 1.5x", ratio)
	}
}

func mib(n uint64) float64 { return float64(n) / (1 << 20) }
