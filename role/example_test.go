package role_test

import (
	"fmt"

	"github.com/charterhq/charter/role"
)

func Example() {
	admin := &role.Role{Name: "admin", Index: 0, Admin: true, Rank: 90}
	editor := &role.Role{Name: "editor", Index: 1, Rank: 50, Seat: true}
	admin.Assigns = role.Set(0).With(admin).With(editor)
	fmt.Println(admin.MayAssign(editor), editor.MayAssign(admin))
	// Output: true false
}
