package policy_test

import (
	"errors"
	"fmt"

	"github.com/charterhq/charter/policy"
)

// A command prints each mistake as "file:line:col: message", the form
// editors and CI annotations read: the Text of each Error, without the
// "policy: " prefix that Error has.
func ExampleErrorList_Text() {
	_, err := policy.Load("studio.yaml", []byte(`policy: studio
roles:
  owner: {owner: true, admin: true, rank: 100}
  editor:
    rnak: 50
actions:
  edit: {}
plans:
  free: {}
permissions:
  edit: [owner, editr]
`))
	var list policy.ErrorList
	if errors.As(err, &list) {
		fmt.Println(list.Text())
		fmt.Println(list[0].Error())
	}
	// Output:
	// studio.yaml:5:5: role "editor": unknown field "rnak"; did you mean "rank"?
	// studio.yaml:11:17: permissions: "edit": unknown role "editr"; did you mean "editor"?
	// policy: studio.yaml:5:5: role "editor": unknown field "rnak"; did you mean "rank"?
}
