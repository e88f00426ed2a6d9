package charter

import (
	"fmt"
	"maps"
	"time"

	"github.com/charterhq/charter/policy"
	"github.com/charterhq/charter/role"
	"github.com/charterhq/charter/workspace"
)

// This file checks one import record and builds its workspace; import.go
// reads the file and writes the batches.

// importing is a record read and checked, ready to write.
type importing struct {
	line int
	rec  ImportRecord
	ws   *workspace.Workspace
}

func (im *importing) id() string {
	if im == nil {
		return ""
	}
	return im.rec.ID
}

// parseImport decodes one record and builds and checks its workspace.
func (s *Service) parseImport(d *importDecoder, text []byte) (*importing, error) {
	im := &importing{}
	more, err := d.decode(text, &im.rec)
	if err != nil {
		return nil, invalid("not an import record: %v", err)
	}
	if more {
		return im, invalid("more than one JSON value on the line")
	}
	rec := &im.rec
	if err := CheckWorkspaceID(rec.ID); err != nil {
		return im, err
	}
	if err := argError(isID("owner", rec.Owner)); err != nil {
		return im, err
	}
	kind := workspace.Shared
	if rec.Kind != "" {
		k, err := workspace.ParseKind(rec.Kind)
		if err != nil {
			return im, invalid("kind %q is neither shared nor personal", rec.Kind)
		}
		kind = k
	}
	p := s.policy.DefaultPlan()
	if rec.Plan != "" {
		if p = s.policy.Plan(rec.Plan); p == nil {
			return im, invalid("unknown plan %q", rec.Plan)
		}
	}
	// The times are set again when the workspace is written.
	now := s.clock()
	w, err := workspace.NewWithRoom(rec.ID, kind, p, rec.Owner, s.policy.CreatorRole(kind), now, 1+len(rec.Members)+len(rec.Guests))
	if err != nil {
		return im, invalid("%v", err)
	}
	w.Name = rec.Name
	if kind == workspace.Personal && len(rec.Members)+len(rec.Guests) > 0 {
		return im, invalid("a personal workspace has its owner as its only member")
	}
	for _, m := range rec.Members {
		r := s.policy.Role(m.Role)
		switch {
		case r == nil:
			return im, invalid("member %q: unknown role %q", m.User, m.Role)
		case r.Guest:
			return im, invalid("member %q: guest role %s belongs in guests", m.User, r.Name)
		}
		if err := importMember(w, m, r, now); err != nil {
			return im, err
		}
	}
	for _, g := range rec.Guests {
		r := s.guestRole(p)
		if g.Role != "" {
			if r = s.policy.Role(g.Role); r == nil || !r.Guest {
				return im, invalid("guest %q: %q is not a guest role", g.User, g.Role)
			}
		}
		if r == nil {
			return im, invalid("guest %q: plan %s offers no guest role", g.User, p.Name)
		}
		if err := importMember(w, g, r, now); err != nil {
			return im, err
		}
	}
	if rec.BillingContact != "" {
		if m, ok := w.Member(rec.BillingContact); ok && !m.Role.Admin {
			return im, invalid("billing contact %q holds %s, not an admin role", rec.BillingContact, m.Role.Name)
		}
		w.BillingContact = rec.BillingContact
	}
	if rec.Settings.GuestsDisabled {
		if a := s.policy.Operation(policy.OpGuestAccess); a == nil || !p.Features.Has(a.Feature) {
			return im, invalid("guests are disabled, a setting plan %s does not offer", p.Name)
		}
		w.Settings.GuestsDisabled = true
	}
	if err := argError(isLogo(rec.Logo)); err != nil {
		return im, err
	}
	if err := checkPreferences(rec.Preferences); err != nil {
		return im, err
	}
	w.Logo = rec.Logo
	if len(rec.Preferences) > 0 {
		w.Preferences = maps.Clone(rec.Preferences)
	}
	if err := w.Check(); err != nil {
		return im, invalid("%v", err)
	}
	if err := w.Counts().Within(p.Limits); err != nil {
		return im, fmt.Errorf("%w: %w", ErrLimitExceeded, err)
	}
	if err := s.checkImportCredits(w, rec); err != nil {
		return im, err
	}
	im.ws = w
	return im, nil
}

// argError checks one argument by the gate's rules (validate.go).
func argError(a arg) error { return a.check() }

func importMember(w *workspace.Workspace, m ImportMember, r *role.Role, now time.Time) error {
	if err := argError(isID("member", m.User)); err != nil {
		return err
	}
	if err := w.Add(m.User, r, m.Projects, now); err != nil {
		return invalid("member %q: %v", m.User, err)
	}
	return nil
}

// checkImportCredits checks the record's credits and allowances against the
// policy and the workspace's members.
func (s *Service) checkImportCredits(w *workspace.Workspace, rec *ImportRecord) error {
	for _, c := range rec.Credits {
		if _, err := s.currency(w, c.Currency, "import"); err != nil {
			return err
		}
		if c.Amount <= 0 {
			return invalid("credits of %s: amount %d is not positive", c.Currency, c.Amount)
		}
	}
	seen := map[[2]string]bool{}
	for _, a := range rec.Allowances {
		if _, err := s.currency(w, a.Currency, "import"); err != nil {
			return err
		}
		m, ok := w.Member(a.Member)
		switch {
		case !ok:
			return invalid("allowance of %q: not a member", a.Member)
		case !m.Role.Spends:
			return invalid("allowance of %q: role %s does not spend credits", a.Member, m.Role.Name)
		case a.Amount < 0:
			return invalid("allowance of %q: negative amount %d", a.Member, a.Amount)
		case seen[[2]string{a.Member, a.Currency}]:
			return invalid("allowance of %q in %s given twice", a.Member, a.Currency)
		}
		seen[[2]string{a.Member, a.Currency}] = true
	}
	return nil
}
