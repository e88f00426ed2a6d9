package scalebench_test

import (
	"fmt"

	"github.com/charterhq/charter/internal/scalebench"
)

func ExampleGenerate() {
	p, err := scalebench.LoadPolicy()
	if err != nil {
		panic(err)
	}
	w, err := scalebench.Generate(p, scalebench.Small, 1, 1000)
	if err != nil {
		panic(err)
	}
	floor := w.Floor()
	allowed := 0
	for _, q := range w.Queries {
		if floor.Can(w.Workspaces[q.Workspace].ID, q.User, int(q.Action)) {
			allowed++
		}
	}
	fmt.Printf("%d workspaces, %d memberships, %d users in the pool\n", len(w.Workspaces), w.Memberships(), len(w.Users))
	fmt.Printf("%d roles x %d actions; %d of %d queries allowed\n", len(w.Roles), len(w.Actions), allowed, len(w.Queries))
	// Output:
	// 10 workspaces, 50 memberships, 25 users in the pool
	// 4 roles x 14 actions; 533 of 1000 queries allowed
}
