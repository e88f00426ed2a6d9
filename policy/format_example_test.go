package policy_test

import (
	"fmt"
	"log"
	"strings"

	"github.com/charterhq/charter/policy"
)

func ExampleFormat() {
	src := []byte(`policy:   studio   # the name
roles:
    # the owner first
    owner: {owner: true, admin: true, rank: 100}



    editor:
        rank: 10
`)
	out, err := policy.Format("studio.yaml", src)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(string(out))
	// Output:
	// policy: studio # the name
	// roles:
	//   # the owner first
	//   owner: {owner: true, admin: true, rank: 100}
	//
	//   editor:
	//     rank: 10
}

func ExamplePolicy_Table() {
	p, err := policy.Load("studio.yaml", []byte(`
policy: studio
currencies: {credits: {}}
roles:
  owner: {owner: true, admin: true, spends: true, rank: 100}
  guest: {guest: true, rank: 1}
actions:
  view: {scope: project}
  render: {cost: {credits: 2}}
plans: {free: {}}
permissions:
  view: [owner, guest]
  render: [owner]
`))
	if err != nil {
		log.Fatal(err)
	}
	t := p.Table()
	fmt.Println(strings.Join(t.Header(), " | "))
	for _, a := range t.Actions {
		fmt.Println(strings.Join(t.Row(a), " | "))
	}
	// Output:
	// Action | owner | guest | Cost | Scope
	// view | ✅ | ✅ granted projects only |  | project
	// render | ✅ |  | 2 credits |

}
