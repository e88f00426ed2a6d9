package storeurl_test

import (
	"context"
	"testing"

	"github.com/charterhq/charter/internal/storeurl"
)

func TestOpen(t *testing.T) {
	ctx := context.Background()
	for _, url := range []string{"", "memory", "sqlite:" + t.TempDir() + "/x.db"} {
		s, err := storeurl.Open(ctx, url)
		if err != nil {
			t.Fatalf("Open(%q): %v", url, err)
		}
		s.Close()
	}
	if _, err := storeurl.Open(ctx, "mysql://x"); err == nil {
		t.Error(`Open("mysql://x") succeeded`)
	}
}
