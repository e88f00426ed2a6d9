package charter

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/workspace"
)

// This file writes a batch of checked import records: a few bulk reads and
// writes per batch (storage.BulkTx), not several statements per workspace.

// importBatch writes a batch in one transaction and returns how many
// workspaces it created. The batch goes in runs of records with distinct
// IDs, so that a record repeating an earlier one's ID is compared with what
// the earlier one wrote.
func (s *Service) importBatch(ctx context.Context, batch []*importing, buf *importBuffers) (int, error) {
	var created int
	err := s.update(ctx, func(tx storage.Tx) error {
		created = 0
		now := s.clock()
		for start := 0; start < len(batch); {
			end, seen := start, buf.seen(len(batch))
			for end < len(batch) && !seen[batch[end].rec.ID] {
				seen[batch[end].rec.ID] = true
				end++
			}
			n, err := s.importRun(ctx, tx, batch[start:end], now, buf)
			if err != nil {
				return err
			}
			created += n
			start = end
		}
		return nil
	})
	return created, err
}

// importRun writes records of distinct IDs, skipping those whose workspace
// exists (and is the same), and returns how many it created. It reads the
// workspaces, their owners' personal workspaces and shared counts in one
// step each, checks every record in order against them and the records
// before it, and writes the headers, members and events in one step each.
func (s *Service) importRun(ctx context.Context, tx storage.Tx, run []*importing, now time.Time, buf *importBuffers) (int, error) {
	buf.reset()
	ids, owners := buf.ids, buf.owners
	nmembers := 0
	for _, im := range run {
		ids = append(ids, im.rec.ID)
		owners = append(owners, im.ws.Owner)
		nmembers += im.ws.Len()
	}
	buf.ids, buf.owners = ids, owners
	existing, err := tx.WorkspacesIn(ctx, ids)
	if err != nil {
		return 0, err
	}
	found := make(map[string]storage.Workspace, len(existing))
	for _, h := range existing {
		found[h.ID] = h
	}
	personals, err := tx.PersonalWorkspacesOf(ctx, owners)
	if err != nil {
		return 0, err
	}
	personal := make(map[string]storage.Workspace, len(personals))
	for _, h := range personals {
		personal[h.Owner] = h
	}
	owned, err := tx.OwnedSharedOf(ctx, owners)
	if err != nil {
		return 0, err
	}
	headers, members, events, made := buf.headers, slices.Grow(buf.members, nmembers), buf.events, buf.made
	defer func() { buf.headers, buf.members, buf.events, buf.made = headers, members, events, made }()
	for _, im := range run {
		// Writing the record's own workspace needs no copy: what is set
		// below is set the same way if the transaction runs again.
		w := im.ws
		fail := func(err error) (int, error) {
			return 0, &ImportError{Line: im.line, ID: im.rec.ID, Err: fromStorage(err)}
		}
		if h, ok := found[w.ID]; ok {
			if err := s.sameImported(ctx, tx, w, h); err != nil {
				return fail(err)
			}
			continue
		}
		if err := s.importFits(w, personal, owned); err != nil {
			return fail(err)
		}
		w.Created, w.Anchor, w.Version = now, now, 1
		h := storedHeader(w)
		if w.Kind == workspace.Personal {
			personal[w.Owner] = h
		} else {
			owned[w.Owner]++
		}
		headers = append(headers, h)
		join := func(u string) {
			m := memberOf(w, u)
			m.Joined = now
			if m.Role.Seat {
				m.SeatSince = now
			}
			w.Put(m)
			members = append(members, stored(w.ID, m))
		}
		// The members in the record's order, which parseImport added
		// every one of: sorting them would buy nothing.
		join(im.rec.Owner)
		for _, m := range im.rec.Members {
			join(m.User)
		}
		for _, g := range im.rec.Guests {
			join(g.User)
		}
		buf.state = appendImportedState(buf.state[:0], w)
		events = append(events, storedEvent(w.ID, w.Owner, now, event{Type: EventWorkspaceImported, Subject: w.Owner}, "", string(buf.state)))
		made = append(made, im)
	}
	if len(made) == 0 {
		return 0, nil
	}
	// A write fails here only when another writer took an ID or a personal
	// workspace since the reads: no one record is to blame.
	wrap := func(err error) error {
		return fmt.Errorf("charter: import lines %d-%d: %w", run[0].line, run[len(run)-1].line, fromStorage(err))
	}
	if err := tx.CreateWorkspaces(ctx, headers); err != nil {
		return 0, wrap(err)
	}
	if err := tx.InsertMembers(ctx, members); err != nil {
		return 0, wrap(err)
	}
	if _, err := tx.AppendEvents(ctx, events); err != nil {
		return 0, wrap(err)
	}
	for _, im := range made {
		if err := s.openPools(ctx, tx, im.ws, im.ws.Owner, now); err != nil {
			return 0, &ImportError{Line: im.line, ID: im.rec.ID, Err: fromStorage(err)}
		}
		if err := s.importCredits(ctx, tx, im.ws, &im.rec, now); err != nil {
			return 0, &ImportError{Line: im.line, ID: im.rec.ID, Err: fromStorage(err)}
		}
	}
	return len(made), nil
}

// importFits checks a new workspace against its owner's: one personal
// workspace per user, whose plan allows the shared workspaces they own,
// and for a shared one, the licence that plan (or the default plan) gives.
// personal and owned hold what the store and the records before it hold.
func (s *Service) importFits(w *workspace.Workspace, personal map[string]storage.Workspace, owned map[string]int) error {
	other, has := personal[w.Owner]
	if w.Kind == workspace.Personal {
		if has {
			return fmt.Errorf("%w: %s already has personal workspace %q", ErrExists, w.Owner, other.ID)
		}
		return s.planFits(w, w.Plan, w.Counts(), nil, owned[w.Owner])
	}
	licence := s.policy.DefaultPlan()
	if has {
		if licence = s.policy.Plan(other.Plan); licence == nil {
			return invalid("personal workspace plan %q not in policy", other.Plan)
		}
	}
	if lim := licence.Limits.SharedWorkspaces; !lim.Allows(owned[w.Owner] + 1) {
		return &LimitError{Plan: licence.Name, Limits: []Limit{{Name: "shared_workspaces", Max: int(lim), Count: owned[w.Owner] + 1}}}
	}
	return nil
}

// importedState is the JSON of an EventWorkspaceImported event's state, as
// json.Marshal writes the map {kind, plan, name, members} (keys sorted),
// written by hand: an import writes one per workspace.
func importedState(w *workspace.Workspace) string {
	return string(appendImportedState(nil, w))
}

// appendImportedState appends importedState(w) to b.
func appendImportedState(b []byte, w *workspace.Workspace) []byte {
	b = append(b, `{"kind":`...)
	b = appendJSONString(b, w.Kind.String())
	b = append(b, `,"members":`...)
	b = strconv.AppendInt(b, int64(w.Len()), 10)
	b = append(b, `,"name":`...)
	b = appendJSONString(b, w.Name)
	b = append(b, `,"plan":`...)
	b = appendJSONString(b, w.Plan.Name)
	return append(b, '}')
}

// appendJSONString appends s as json.Marshal writes it: quoted as it is
// when it holds only printable ASCII that needs no escape (HTML's
// characters included), by json.Marshal otherwise.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// importBuffers are the working lists of a batch's writes, kept from one
// batch to the next so that an import of many batches allocates them once.
// The stores copy what they are given.
type importBuffers struct {
	ids, owners []string
	headers     []storage.Workspace
	members     []storage.Member
	events      []storage.Event
	made        []*importing
	ran         map[string]bool
	state       []byte // an event's JSON
}

// reset empties the lists for a run, dropping what they referred to.
func (b *importBuffers) reset() {
	clear(b.ids)
	clear(b.owners)
	clear(b.headers)
	clear(b.members)
	clear(b.events)
	clear(b.made)
	b.ids, b.owners, b.headers, b.members, b.events, b.made = b.ids[:0], b.owners[:0], b.headers[:0], b.members[:0], b.events[:0], b.made[:0]
}

// seen returns the empty set of a run's IDs.
func (b *importBuffers) seen(n int) map[string]bool {
	if b.ran == nil {
		b.ran = make(map[string]bool, n)
	}
	clear(b.ran)
	return b.ran
}
