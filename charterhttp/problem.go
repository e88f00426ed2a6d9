package charterhttp

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/policy"
)

// Problem is an RFC 9457 problem detail as this package writes it. Type is
// always "about:blank" and Title the status text; Code names the problem
// for programs (see the package doc's table).
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Code   string `json:"code"`
	Detail string `json:"detail,omitempty"`
	// Action and Reason say which action the policy denied and why (the
	// policy.Reason in snake case): 402 and 403 only.
	Action string `json:"action,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Currency and ResetsAt say which pool could not pay and when its
	// period next resets: 402 only; ResetsAt is absent when it never does.
	Currency string    `json:"currency,omitempty"`
	ResetsAt time.Time `json:"resets_at,omitzero"`
	// Limits are the plan limits a change would exceed; Problems what must
	// change before a plan change: 409 limit_exceeded only.
	Limits   []Limit  `json:"limits,omitempty"`
	Problems []string `json:"problems,omitempty"`
}

// Limit is one exceeded plan limit (charter.Limit).
type Limit struct {
	Name  string `json:"name"`
	Max   int    `json:"max"`
	Count int    `json:"count"`
}

// notFoundBody is the one body of every 404: a workspace that does not
// exist and one the actor is not a member of answer the same bytes.
var notFoundBody = []byte(`{"type":"about:blank","title":"Not Found","status":404,"code":"not_found"}` + "\n")

func writeNotFound(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Content-Length", strconv.Itoa(len(notFoundBody)))
	w.WriteHeader(http.StatusNotFound)
	w.Write(notFoundBody)
}

// WriteProblem writes p as application/problem+json, filling in Type and
// Title when they are empty. A 404 is always the one not-found body.
func WriteProblem(w http.ResponseWriter, p Problem) {
	if p.Status == http.StatusNotFound {
		writeNotFound(w)
		return
	}
	if p.Type == "" {
		p.Type = "about:blank"
	}
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	b, err := json.Marshal(p)
	if err != nil { // unreachable: Problem holds strings, ints and times
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	b = append(b, '\n')
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(p.Status)
	w.Write(b)
}

// ProblemForDecision is the answer to a denial: 404 for a non-member (as for
// a workspace that does not exist), 402 when only credits or the allowance
// are missing, 403 otherwise, naming the action and the reason only.
func ProblemForDecision(d charter.Decision) Problem {
	p := Problem{Action: d.Action, Reason: ReasonCode(d.Reason)}
	switch d.Reason {
	case policy.NotMember, policy.NoWorkspace:
		return Problem{Status: http.StatusNotFound, Code: "not_found"}
	case policy.InsufficientCredits:
		p.Status, p.Code = http.StatusPaymentRequired, "insufficient_credits"
		p.Currency, p.ResetsAt = d.Currency, d.ResetsAt
	case policy.OutsideAllowance:
		p.Status, p.Code = http.StatusPaymentRequired, "allowance_exceeded"
		p.Currency, p.ResetsAt = d.Currency, d.ResetsAt
	default:
		p.Status, p.Code = http.StatusForbidden, "forbidden"
		what := d.Action
		if what == "" {
			what = "the action"
		}
		p.Detail = "the policy does not allow " + what + ": " + d.Reason.String()
	}
	return p
}

// ReasonCode is r's name in snake case, e.g. "role_lacks_action": the
// reason of a problem, for applications that show decisions too.
func ReasonCode(r policy.Reason) string {
	return strings.ReplaceAll(r.String(), " ", "_")
}

// ProblemFor is the answer to err, an error of a charter.Service call, as
// the package doc's table says. Only a 400's detail quotes err; an error
// charter does not name is a 500 that shows nothing.
func ProblemFor(err error) Problem {
	var (
		forbidden *charter.ForbiddenError
		limit     *charter.LimitError
		downgrade *charter.DowngradeError
	)
	switch {
	case err == nil:
		return Problem{Status: http.StatusOK}
	case errors.As(err, &forbidden):
		d := charter.Decision{Decision: forbidden.Decision}
		if d.Action == "" {
			d.Action = forbidden.Op
		}
		return ProblemForDecision(d)
	case errors.Is(err, charter.ErrNotFound):
		return Problem{Status: http.StatusNotFound, Code: "not_found"}
	case errors.Is(err, charter.ErrIdempotencyMismatch):
		return Problem{Status: http.StatusUnprocessableEntity, Code: "idempotency_key_reused",
			Detail: "this Idempotency-Key was used before for a different request"}
	case errors.Is(err, charter.ErrInsufficientCredits):
		p := Problem{Status: http.StatusPaymentRequired, Code: "insufficient_credits", Reason: ReasonCode(policy.InsufficientCredits)}
		if ie, ok := errors.AsType[*credits.InsufficientError](err); ok {
			p.Currency = ie.Currency
		}
		return p
	case errors.Is(err, charter.ErrAllowanceExceeded):
		return Problem{Status: http.StatusPaymentRequired, Code: "allowance_exceeded", Reason: ReasonCode(policy.OutsideAllowance)}
	case errors.Is(err, charter.ErrForbidden):
		// A refusal that no policy decision carries: accepting an
		// invitation sent to another address.
		return Problem{Status: http.StatusForbidden, Code: "forbidden"}
	case errors.As(err, &limit):
		p := Problem{Status: http.StatusConflict, Code: "limit_exceeded", Detail: "plan " + limit.Plan + " limit exceeded"}
		for _, l := range limit.Limits {
			p.Limits = append(p.Limits, Limit{Name: l.Name, Max: l.Max, Count: l.Count})
		}
		return p
	case errors.As(err, &downgrade):
		return Problem{Status: http.StatusConflict, Code: "limit_exceeded", Detail: "cannot move to plan " + downgrade.Plan, Problems: downgrade.Problems}
	case errors.Is(err, charter.ErrLimitExceeded):
		return Problem{Status: http.StatusConflict, Code: "limit_exceeded"}
	case errors.Is(err, charter.ErrConflict):
		return Problem{Status: http.StatusConflict, Code: "conflict", Detail: "a concurrent change won; retry"}
	case errors.Is(err, charter.ErrInvitationExpired):
		return Problem{Status: http.StatusGone, Code: "invitation_expired"}
	case errors.Is(err, charter.ErrInvitationUsed):
		return Problem{Status: http.StatusGone, Code: "invitation_used"}
	case errors.Is(err, charter.ErrInvitationRevoked):
		return Problem{Status: http.StatusGone, Code: "invitation_revoked"}
	case errors.Is(err, charter.ErrInvalid):
		return Problem{Status: http.StatusBadRequest, Code: "invalid", Detail: strings.TrimPrefix(err.Error(), charter.ErrInvalid.Error()+": ")}
	}
	return Problem{Status: http.StatusInternalServerError, Code: "internal"}
}
