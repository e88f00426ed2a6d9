package benchpolicy_test

import (
	"fmt"

	"github.com/charterhq/charter/policy/internal/benchpolicy"
)

func ExampleSource() {
	fmt.Print(string(benchpolicy.Source(2, 2)))
	// Output:
	// policy: bench
	// features: [f0, f1, f2, f3, f4, f5, f6, f7]
	// roles:
	//   r0: {owner: true, admin: true, seat: true, spends: true, rank: 1000}
	//   r1: {admin: false, seat: true, rank: 1}
	// actions:
	//   a0: {description: Action number 0, feature: f0}
	//   a1: {description: Action number 1}
	// plans:
	//   free: {}
	//   pro: {features: [f0, f1, f2, f3, f4, f5, f6, f7]}
	// permissions:
	//   a0: [r0, r1]
	//   a1: [r0]
}
