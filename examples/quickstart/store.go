package main

import (
	"context"
	"fmt"

	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/storage/memory"
)

// openStore opens the store named by url: memory when empty.
func openStore(ctx context.Context, url string) (storage.Store, error) {
	switch {
	case url == "" || url == "memory":
		return memory.New(), nil
	}
	return nil, fmt.Errorf("unknown store %q", url)
}
