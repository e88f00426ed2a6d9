package storeurl_test

import (
	"context"
	"fmt"

	"github.com/charterhq/charter/internal/storeurl"
)

// Example opens the in-memory store, as the examples do by default.
func Example() {
	s, err := storeurl.Open(context.Background(), "memory")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	fmt.Printf("%T\n", s)
	// Output: *memory.Store
}
