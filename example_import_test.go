package charter_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/policy"
	"github.com/charterhq/charter/storage/memory"
)

// Existing tenants come in under their own IDs, from JSON Lines; a bad line
// stops the import and is named.
func ExampleService_Import() {
	ctx := context.Background()
	p, err := policy.LoadFile("testdata/policies/team-guests.yaml")
	if err != nil {
		panic(err)
	}
	s, err := charter.New(p, memory.New(), charter.Options{})
	if err != nil {
		panic(err)
	}
	file := `{"id": "acme", "plan": "business", "owner": "ann", "members": [{"user": "bob", "role": "member"}]}
{"id": "beta", "plan": "starter", "owner": "bob", "members": [{"user": "cat", "role": "member"}]}
`
	prog, err := s.Import(ctx, strings.NewReader(file), charter.ImportOptions{Batch: 1})
	fmt.Println(prog.Created, "created;", err)

	ok, _ := s.Can(ctx, "bob", "invite_members", "acme")
	fmt.Println("bob may invite into acme:", ok)

	members, next, _ := s.Members(ctx, "bob", "acme", charter.Page{Limit: 10})
	fmt.Println(len(members), "members; last page:", next == "")
	// Output:
	// 1 created; charter: import line 2 (workspace "beta"): charter: invalid request: member "cat": workspace: role not offered by the plan: plan starter does not offer member
	// bob may invite into acme: true
	// 2 members; last page: true
}
