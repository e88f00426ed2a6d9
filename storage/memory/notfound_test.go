package memory

import (
	"context"
	"errors"
	"testing"

	"github.com/charterhq/charter/storage"
)

// TestNotFound: a miss is storage.ErrNotFound and names what was missing.
func TestNotFound(t *testing.T) {
	ctx := context.Background()
	err := New().View(ctx, func(tx storage.Tx) error {
		for _, tt := range []struct {
			err  error
			want string
		}{
			{second(tx.Workspace(ctx, "w1")), "memory: workspace w1 storage: not found"},
			{second(tx.Member(ctx, "w1", "ann")), "memory: member ann of w1 storage: not found"},
			{second(tx.Idempotency(ctx, "w1", "k1")), "memory: idempotency key k1 storage: not found"},
			{second(tx.InvitationByToken(ctx, "h")), "memory: invitation storage: not found"},
		} {
			if !errors.Is(tt.err, storage.ErrNotFound) || tt.err.Error() != tt.want {
				t.Errorf("err = %v, want %q wrapping storage.ErrNotFound", tt.err, tt.want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func second[T any](_ T, err error) error { return err }
