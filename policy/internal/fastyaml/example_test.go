package fastyaml_test

import (
	"fmt"

	"github.com/charterhq/charter/policy/internal/fastyaml"
)

func ExampleParse() {
	root, ok := fastyaml.Parse([]byte("roles:\n  admin: [invite, remove] # a flow sequence\n"))
	fmt.Println(ok)
	admin := root.Content[1].Content[1]
	fmt.Println(admin.Content[1].Value, admin.Content[1].Line, admin.Content[1].Column)

	_, ok = fastyaml.Parse([]byte("roles: &r {}\n")) // an anchor: yaml.v3's job
	fmt.Println(ok)
	// Output:
	// true
	// remove 2 19
	// false
}
