package charter

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/charterhq/charter/storage"
)

// Event types recorded by the Service.
const (
	EventWorkspaceCreated  = "workspace.created"
	EventWorkspaceShared   = "workspace.shared" // a personal workspace became shared
	EventWorkspaceRenamed  = "workspace.renamed"
	EventPlanChanged       = "workspace.plan_changed"
	EventSettingsChanged   = "workspace.settings_changed"
	EventWorkspaceDeleted  = "workspace.deleted"
	EventInvitationCreated = "invitation.created"
	EventInvitationRevoked = "invitation.revoked"
	EventMemberAdded       = "member.added" // by accepting an invitation or link
	EventMemberRoleChanged = "member.role_changed"
	EventMemberRemoved     = "member.removed"
	EventMemberLeft        = "member.left"
	EventGuestGranted      = "guest.granted" // a guest got another project
	EventOwnerTransferred  = "ownership.transferred"
	EventSeatCharged       = "seat.charged"  // Amount: the seat price charged
	EventSeatCredited      = "seat.credited" // Amount: the pro-rata invoice credit
	EventCreditsFunded     = "credits.funded"
	EventAllowanceSet      = "credits.allowance_set"
	EventCoinsEarned       = "coins.earned"
)

// Event is one entry of the audit trail. Events are written in the same
// transaction as the change they record, and read in order by Seq.
type Event struct {
	// Seq orders all events of a store: gapless and increasing in commit
	// order, so a reader that keeps the last Seq it processed handles each
	// event exactly once.
	Seq       int64
	Workspace string
	Actor     string
	Type      string
	// Subject is the user or invitation the event is about.
	Subject string
	// Before and After are JSON of the changed state, or empty.
	Before, After json.RawMessage
	// Amount and Currency carry seat charges and credits, in integer minor
	// units, and credit amounts.
	Amount   int64
	Currency string
	Time     time.Time
}

// Events returns up to limit events with Seq > after, in order; of one
// workspace when workspace is not "".
//
// Events is a call for trusted workers only (audit export, billing, a
// webhook relay run by the embedding service), never for end users: it takes
// no actor and checks no permission, and with workspace "" it returns every
// tenant's events. An application must not pass a user's request to it; to
// show a user a workspace's history, authorize the user first (for example
// with Can) and pass that workspace's ID.
func (s *Service) Events(ctx context.Context, workspace string, after int64, limit int) ([]Event, error) {
	if err := s.check(ctx, isID("workspace", workspace).orEmpty()); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 10000 {
		return nil, invalid("event limit %d outside 1..10000", limit)
	}
	var out []Event
	err := s.view(ctx, func(tx storage.Tx) error {
		es, err := tx.Events(ctx, workspace, after, limit)
		for _, e := range es {
			out = append(out, eventOf(e))
		}
		return err
	})
	return out, err
}

// event is an event under construction.
type event struct {
	Type, Subject string
	Before, After any
	Amount        int64
	Currency      string
}

func (s *Service) record(ctx context.Context, tx storage.Tx, ws, actor string, now time.Time, e event) error {
	se, err := encodeEvent(ws, actor, now, e)
	if err != nil {
		return err
	}
	_, err = tx.AppendEvent(ctx, se)
	return err
}

// encodeEvent is the stored form of e, its states in JSON.
func encodeEvent(ws, actor string, now time.Time, e event) (storage.Event, error) {
	enc := func(v any) (string, error) {
		if v == nil {
			return "", nil
		}
		b, err := json.Marshal(v)
		return string(b), err
	}
	before, err := enc(e.Before)
	if err != nil {
		return storage.Event{}, fmt.Errorf("charter: encoding event: %w", err)
	}
	after, err := enc(e.After)
	if err != nil {
		return storage.Event{}, fmt.Errorf("charter: encoding event: %w", err)
	}
	return storedEvent(ws, actor, now, e, before, after), nil
}

// memberState is how events show a membership.
type memberState struct {
	Role     string   `json:"role"`
	Projects []string `json:"projects,omitempty"`
}
