// Package benchpolicy writes the synthetic policy that policy's benchmarks
// load and check, so that other packages' tests and benchmarks can use
// the same one.
package benchpolicy

import (
	"fmt"
	"strings"
)

// Source returns a policy of nRoles roles (r0, the owner, and r1...) and
// nActions actions (a0...): eight features, every fifth action gated on
// one, plans free and pro, and each action granted to the roles j with
// (7i+3j) % 5 != 0, and to r0.
func Source(nRoles, nActions int) []byte {
	var b strings.Builder
	b.WriteString("policy: bench\nfeatures: [f0, f1, f2, f3, f4, f5, f6, f7]\nroles:\n")
	b.WriteString("  r0: {owner: true, admin: true, seat: true, spends: true, rank: 1000}\n")
	for j := 1; j < nRoles; j++ {
		fmt.Fprintf(&b, "  r%d: {admin: %t, seat: true, rank: %d}\n", j, j%3 == 0, j)
	}
	b.WriteString("actions:\n")
	for i := range nActions {
		if i%5 == 0 {
			fmt.Fprintf(&b, "  a%d: {description: Action number %d, feature: f%d}\n", i, i, i%8)
		} else {
			fmt.Fprintf(&b, "  a%d: {description: Action number %d}\n", i, i)
		}
	}
	b.WriteString("plans:\n  free: {}\n  pro: {features: [f0, f1, f2, f3, f4, f5, f6, f7]}\npermissions:\n")
	for i := range nActions {
		fmt.Fprintf(&b, "  a%d: [", i)
		sep := ""
		for j := range nRoles {
			if (7*i+3*j)%5 != 0 || j == 0 {
				fmt.Fprintf(&b, "%sr%d", sep, j)
				sep = ", "
			}
		}
		b.WriteString("]\n")
	}
	return []byte(b.String())
}
