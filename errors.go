package charter

import (
	"errors"
	"fmt"
	"strings"

	"github.com/charterhq/charter/policy"
	"github.com/charterhq/charter/storage"
)

// Sentinel errors. Every error the Service returns wraps one of them; test with
// errors.Is. A denial by Service.Can is a false result, not an error.
var (
	// ErrForbidden: the policy denies the actor the operation. The error is
	// a *ForbiddenError carrying the decision, except for Accept of an
	// invitation sent to another address, which no policy rule decides.
	ErrForbidden = errors.New("charter: forbidden")
	// ErrNotFound: no such workspace, member or invitation, or the actor is
	// not a member of the workspace (the two are indistinguishable, so an
	// outsider learns nothing about another tenant).
	ErrNotFound = errors.New("charter: not found")
	// ErrConflict: a concurrent change won; the operation changed nothing
	// and may be retried.
	ErrConflict = errors.New("charter: conflict")
	// ErrLimitExceeded: the plan's limits would be exceeded. The error is a
	// *LimitError naming the limits.
	ErrLimitExceeded = errors.New("charter: limit exceeded")
	// ErrInvalid: the request is malformed or breaks an invariant (e.g.
	// removing the owner, transferring to a non-admin).
	ErrInvalid = errors.New("charter: invalid request")
	// ErrInvitationExpired: the invitation's expiry has passed.
	ErrInvitationExpired = errors.New("charter: invitation expired")
	// ErrInvitationUsed: the invitation has no uses left.
	ErrInvitationUsed = errors.New("charter: invitation already used")
	// ErrInvitationRevoked: the invitation was revoked.
	ErrInvitationRevoked = errors.New("charter: invitation revoked")
	// ErrInsufficientCredits: the pool cannot pay for the action.
	ErrInsufficientCredits = errors.New("charter: insufficient credits")
	// ErrAllowanceExceeded: the member's allowance cannot pay for the
	// action, or the plan requires an allowance the member lacks.
	ErrAllowanceExceeded = errors.New("charter: allowance exceeded")
	// ErrIdempotencyMismatch: an idempotency key was reused for a different
	// request.
	ErrIdempotencyMismatch = errors.New("charter: idempotency key reused with a different request")
)

// ForbiddenError is returned when the policy denies an operation.
type ForbiddenError struct {
	Op       string          // the Service operation, e.g. "remove"
	Decision policy.Decision // the policy's decision, with its reason
}

// Error reports the operation and the policy's decision.
func (e *ForbiddenError) Error() string {
	if e.Decision.Reason == policy.UnknownAction && e.Decision.Detail == "" {
		return fmt.Sprintf("charter: %s forbidden: the policy maps no action to %s", e.Op, e.Op)
	}
	return fmt.Sprintf("charter: %s forbidden: %v", e.Op, e.Decision)
}

// Is makes errors.Is(err, ErrForbidden) true.
func (e *ForbiddenError) Is(target error) bool { return target == ErrForbidden }

// Limit names one exceeded limit.
type Limit struct {
	Name  string // "members", "seats", "guests" or "shared_workspaces"
	Max   int    // the plan's limit
	Count int    // what the count would be
}

// LimitError is returned when a plan limit would be exceeded.
type LimitError struct {
	Plan   string
	Limits []Limit
}

// Error lists each exceeded limit with its count and maximum.
func (e *LimitError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "charter: plan %s limit exceeded:", e.Plan)
	for i, l := range e.Limits {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, " %s %d > %d", l.Name, l.Count, l.Max)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrLimitExceeded) true.
func (e *LimitError) Is(target error) bool { return target == ErrLimitExceeded }

// DowngradeError lists what must change before a workspace can move to a
// plan: limits its members would exceed, roles the plan does not offer,
// features in use.
type DowngradeError struct {
	Plan     string
	Problems []string
}

// Error lists everything that must change before the move.
func (e *DowngradeError) Error() string {
	return fmt.Sprintf("charter: cannot move to plan %s: %s", e.Plan, strings.Join(e.Problems, "; "))
}

// Is makes errors.Is(err, ErrInvalid) and errors.Is(err, ErrLimitExceeded)
// true.
func (e *DowngradeError) Is(target error) bool {
	return target == ErrInvalid || target == ErrLimitExceeded
}

// invalid returns an ErrInvalid with a message.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// fromStorage translates a storage error into the Service's errors.
func fromStorage(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, storage.ErrNotFound):
		return fmt.Errorf("%w (%w)", ErrNotFound, err)
	case errors.Is(err, storage.ErrConflict), errors.Is(err, storage.ErrExists):
		return fmt.Errorf("%w (%w)", ErrConflict, err)
	}
	return err
}

// refusal is a Service sentinel with the domain error that caused it: it
// prints the sentinel and the cause's detail once, and unwraps to both, so
// errors.Is finds the sentinel and errors.As the cause's typed error.
type refusal struct {
	sentinel, cause error
}

func refuse(sentinel, cause error) error { return &refusal{sentinel, cause} }

func (r *refusal) Error() string {
	detail := r.cause.Error()
	// Drop the cause's own "pkg: sentinel text: " prefix.
	if _, rest, ok := strings.Cut(detail, ": "); ok {
		if i := strings.Index(rest, ": "); i >= 0 {
			detail = rest[i+2:]
		}
	}
	return r.sentinel.Error() + ": " + detail
}

func (r *refusal) Unwrap() []error { return []error{r.sentinel, r.cause} }
