package charter

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/workspace"
)

// EventWorkspaceImported records a workspace brought in by Import, with its
// kind, plan, name and member count.
const EventWorkspaceImported = "workspace.imported"

// ImportRecord is one line of an import file (JSON Lines): one workspace as
// it exists in the application that brings its tenants to charter.
//
//	{"id": "acme", "kind": "shared", "name": "Acme", "plan": "business", "owner": "u1",
//	 "members": [{"user": "u2", "role": "admin"}],
//	 "guests": [{"user": "g1", "projects": ["roadmap"]}],
//	 "settings": {"guests_disabled": false}, "billing_contact": "u2",
//	 "logo": "https://cdn.example.com/acme.png", "preferences": {"theme": "dark"},
//	 "credits": [{"currency": "ai_credits", "amount": 500}],
//	 "allowances": [{"member": "u2", "currency": "ai_credits", "amount": 100}]}
type ImportRecord struct {
	// ID is the workspace's ID, as the application knows it (see
	// CheckWorkspaceID).
	ID string `json:"id"`
	// Kind is "shared" or "personal"; "shared" when empty. A personal
	// workspace has its owner as its only member, and a user has at most
	// one.
	Kind string `json:"kind,omitempty"`
	Name string `json:"name,omitempty"`
	// Plan names a plan of the policy; the default plan when empty.
	Plan  string `json:"plan,omitempty"`
	Owner string `json:"owner"`
	// BillingContact is an admin member; the owner when empty.
	BillingContact string `json:"billing_contact,omitempty"`
	// Members are the members besides the owner, each with a role that is
	// neither the owner role nor a guest role.
	Members []ImportMember `json:"members,omitempty"`
	// Guests are members in a guest role, with the projects granted to
	// them. Role is the plan's guest role when empty.
	Guests   []ImportMember `json:"guests,omitempty"`
	Settings ImportSettings `json:"settings,omitzero"`
	// Logo is the workspace's logo URL, by the rules of Service.SetLogo;
	// none when empty.
	Logo string `json:"logo,omitempty"`
	// Preferences are the application's preferences of the workspace, by
	// the rules of Service.SetPreferences.
	Preferences map[string]string `json:"preferences,omitempty"`
	// Credits are lots of credits brought over, added to what the plan
	// grants from the import on (the pool's periods start at the import).
	Credits []ImportCredit `json:"credits,omitempty"`
	// Allowances are members' allowances per period, counting from the
	// import's period with nothing spent.
	Allowances []ImportAllowance `json:"allowances,omitempty"`
}

// ImportMember is a member of an imported workspace.
type ImportMember struct {
	User     string   `json:"user"`
	Role     string   `json:"role,omitempty"`
	Projects []string `json:"projects,omitempty"`
}

// ImportSettings are an imported workspace's settings.
type ImportSettings struct {
	GuestsDisabled bool `json:"guests_disabled,omitempty"`
}

// ImportCredit is a lot of credits brought over: amount (> 0) of currency,
// expiring at Expires (never when zero).
type ImportCredit struct {
	Currency string    `json:"currency"`
	Amount   int64     `json:"amount"`
	Expires  time.Time `json:"expires,omitzero"`
}

// ImportAllowance is a member's allowance of a currency per period.
type ImportAllowance struct {
	Member   string `json:"member"`
	Currency string `json:"currency"`
	Amount   int64  `json:"amount"`
}

// ImportOptions configures Import. The zero value is useful.
type ImportOptions struct {
	// Batch is how many records each transaction writes; 500 when zero.
	Batch int
	// Progress, when set, is called after each batch is committed.
	Progress func(ImportProgress)
}

// ImportProgress is how far an import has come.
type ImportProgress struct {
	Records int   // records read and committed (created or already there)
	Created int   // workspaces created
	Skipped int   // records whose workspace already existed, identical
	Bytes   int64 // bytes of input consumed
	Elapsed time.Duration
}

// ImportError reports the record that stopped an import: its line (from 1)
// and why. It unwraps to the reason, which wraps ErrInvalid for a record
// that breaks a rule, ErrExists for one that clashes with a different
// workspace already stored, or ErrLimitExceeded.
type ImportError struct {
	Line int
	ID   string // the record's workspace ID, when it was read
	Err  error
}

// Error names the line, the workspace and the reason.
func (e *ImportError) Error() string {
	if e.ID == "" {
		return fmt.Sprintf("charter: import line %d: %v", e.Line, e.Err)
	}
	return fmt.Sprintf("charter: import line %d (workspace %q): %v", e.Line, e.ID, e.Err)
}

// Unwrap returns the reason.
func (e *ImportError) Unwrap() error { return e.Err }

// maxImportLine caps one record's line: a workspace of 100,000 members
// takes about 5 MB.
const maxImportLine = 64 << 20

// Import brings existing workspaces into the store from r, JSON Lines of
// ImportRecord (blank lines are skipped), under the IDs they carry. It
// checks every record as CreateWorkspace, Accept and SetAllowance would (IDs,
// roles the plan offers, the plan's limits, the owner's licence for shared
// workspaces, one personal workspace per user, the billing contact) but
// authorizes no actor: it is for the application's operators, not its users.
//
// Records are written Batch at a time, each batch in one transaction: the
// first bad record stops the import with an *ImportError naming its line,
// and nothing of its batch is written; the batches before it stay. A record
// whose workspace already exists with the same kind, name, plan, owner,
// billing contact, settings and members is skipped (its credits and
// allowances are not applied again), so running the same file twice changes
// nothing, and running it again after fixing a line finishes the job. One
// whose workspace exists and differs is an error wrapping ErrExists.
//
// A shared workspace counts against its owner's licence, the plan of their
// personal workspace, or the default plan while they have none: put a
// user's personal workspace before the shared ones they own.
//
// Each workspace gets one EventWorkspaceImported event (its actor is the
// owner) and no seat charges: its billing so far happened elsewhere, and its
// seats count from the import.
func (s *Service) Import(ctx context.Context, r io.Reader, opts ImportOptions) (ImportProgress, error) {
	if err := s.check(ctx); err != nil {
		return ImportProgress{}, err
	}
	batch := opts.Batch
	if batch <= 0 {
		batch = 500
	}
	start := time.Now()
	var prog ImportProgress
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxImportLine)
	line := 0
	var dec importDecoder
	var buf importBuffers
	var pending []*importing
	var consumed int64
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		created, err := s.importBatch(ctx, pending, &buf)
		if err != nil {
			return err
		}
		prog.Records += len(pending)
		prog.Created += created
		prog.Skipped += len(pending) - created
		prog.Bytes = consumed
		prog.Elapsed = time.Since(start)
		pending = pending[:0]
		if opts.Progress != nil {
			opts.Progress(prog)
		}
		return nil
	}
	for sc.Scan() {
		line++
		consumed += int64(len(sc.Bytes())) + 1
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		im, err := s.parseImport(&dec, text)
		if err != nil {
			return prog, &ImportError{Line: line, ID: im.id(), Err: err}
		}
		im.line = line
		pending = append(pending, im)
		if len(pending) == batch {
			if err := flush(); err != nil {
				return prog, err
			}
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return prog, &ImportError{Line: line + 1, Err: invalid("record longer than %d bytes", maxImportLine)}
		}
		return prog, fmt.Errorf("charter: reading import: %w", err)
	}
	return prog, flush()
}

// importCredits adds the record's lots and allowances to the workspace's
// pools, opening a pool the plan does not.
func (s *Service) importCredits(ctx context.Context, tx storage.Tx, w *workspace.Workspace, rec *ImportRecord, now time.Time) error {
	pools := map[string]*pool{}
	poolFor := func(currency string) (*pool, error) {
		if pl, ok := pools[currency]; ok {
			return pl, nil
		}
		pl, found, err := s.loadPool(ctx, tx, w, currency, now)
		if err == nil && !found {
			if err = tx.CreatePool(ctx, storage.Pool{Workspace: w.ID, Currency: currency}); err == nil {
				pl, _, err = s.loadPool(ctx, tx, w, currency, now)
			}
		}
		pools[currency] = pl
		return pl, err
	}
	for i, c := range rec.Credits {
		pl, err := poolFor(c.Currency)
		if err != nil {
			return err
		}
		es, err := credits.TopUp(&pl.p, fmt.Sprintf("import:%d", i+1), c.Amount, c.Expires, now, credits.Meta{Member: w.Owner, Action: "import"})
		if err != nil {
			return invalid("credits of %s: %v", c.Currency, err)
		}
		pl.entries = append(pl.entries, es...)
	}
	for _, a := range rec.Allowances {
		pl, err := poolFor(a.Currency)
		if err != nil {
			return err
		}
		if err := tx.PutAllowance(ctx, w.ID, a.Currency, credits.Allowance{Member: a.Member, Amount: a.Amount, Period: pl.p.CurrentPeriod()}); err != nil {
			return err
		}
	}
	for _, c := range slices.Sorted(maps.Keys(pools)) {
		if err := s.savePool(ctx, tx, w.ID, pools[c]); err != nil {
			return err
		}
	}
	return nil
}

// sameImported checks that the stored workspace h is the one w describes:
// the same header fields and the same members, roles and projects.
func (s *Service) sameImported(ctx context.Context, tx storage.Tx, w *workspace.Workspace, h storage.Workspace) error {
	want := storedHeader(w)
	differs := func(what string, stored, record any) error {
		return fmt.Errorf("%w: workspace %q exists with %s %v, the record says %v", ErrExists, w.ID, what, stored, record)
	}
	switch {
	case h.Kind != want.Kind:
		return differs("kind", h.Kind, want.Kind)
	case h.Name != want.Name:
		return differs("name", h.Name, want.Name)
	case h.Plan != want.Plan:
		return differs("plan", h.Plan, want.Plan)
	case h.Owner != want.Owner:
		return differs("owner", h.Owner, want.Owner)
	case h.BillingContact != want.BillingContact:
		return differs("billing contact", h.BillingContact, want.BillingContact)
	case h.Settings != want.Settings:
		return differs("settings", h.Settings, want.Settings)
	case h.Logo != want.Logo:
		return differs("logo", h.Logo, want.Logo)
	case !maps.Equal(h.Preferences, want.Preferences):
		return differs("preferences", h.Preferences, want.Preferences)
	}
	ms, err := tx.Members(ctx, w.ID)
	if err != nil {
		return err
	}
	if len(ms) != w.Len() {
		return differs("member count", len(ms), w.Len())
	}
	for _, m := range ms {
		r, ok := w.Member(m.User)
		switch {
		case !ok:
			return differs("member", m.User, "no such member")
		case m.Role != r.Role.Name:
			return differs("role of "+m.User, m.Role, r.Role.Name)
		case !slices.Equal(m.Projects, r.Projects):
			return differs("projects of "+m.User, m.Projects, r.Projects)
		}
	}
	return nil
}
