// Package charterhttp puts a charter.Service in front of net/http handlers.
//
// A Guard knows how to find the actor of a request (a function the
// application supplies: its session or token code) and the workspace it acts
// in (the route's path value, Go 1.22 patterns, or a function). Each route
// states what it needs:
//
//	g := &charterhttp.Guard{Service: s, Actor: sessionUser}
//	mux.Handle("GET /workspaces/{workspace}/visuals", g.Require("view_visuals", list))
//	mux.Handle("POST /workspaces/{workspace}/visuals", g.Spend("create_visuals", create))
//	mux.Handle("POST /workspaces", g.Authenticated(createWorkspace))
//
// The handler runs only when the decision allows, and finds it (with the
// actor, the workspace and, on a spend route, the receipt) with FromContext.
// Every refusal is answered by the Guard as an RFC 9457 problem
// (Content-Type application/problem+json); handlers answer the errors of
// their own Service calls the same way with Guard.Error.
//
// # Status codes
//
// Every problem has "type": "about:blank", "title" (the status text),
// "status" and "code", a stable machine-readable name; some add members:
//
//	status  code                    when                                           extra members
//	400     invalid                 the request is malformed (charter.ErrInvalid)  detail
//	400     idempotency_key_missing a spend route got no Idempotency-Key header    -
//	401     unauthenticated         Guard.Actor found no actor (or failed)         -
//	402     insufficient_credits    the pool cannot pay the action's cost          reason, currency; action, resets_at*
//	402     allowance_exceeded      the actor's allowance cannot pay               reason; action, currency, resets_at*
//	403     forbidden               the policy denies the action                   action, reason
//	404     not_found               no such workspace, or the actor is not a       -
//	                                member of it: one byte-identical body, so an
//	                                outsider cannot tell the two apart; also any
//	                                other charter.ErrNotFound
//	409     limit_exceeded          a plan limit would be exceeded                 limits, or problems for a plan change
//	409     conflict                a concurrent change won; retry                 -
//	410     invitation_expired      the invitation's expiry has passed             -
//	410     invitation_used         the invitation has no uses left                -
//	410     invitation_revoked      the invitation was revoked                     -
//	413     body_too_large          a spend's body is over Guard.MaxSpendBody      detail
//	422     idempotency_key_reused  the Idempotency-Key was used before for a      -
//	                                different request
//	500     internal                anything else; the error is not shown          -
//
// * A 402 of a Require or Spend route carries every member: the Guard knows
// the action and reads the pool's reset date. Guard.Error, answering a
// handler's own Service call, has only what the error carries.
//
// A 403 from Accept of an invitation sent to another address has no action
// or reason: no policy rule decides it.
//
// reason is the policy's reason in snake case ("role_lacks_action",
// "plan_lacks_feature", "guests_disabled", ...; see policy.Reason). A 403
// says which action was denied and why, never the actor's role, the plan, or
// the policy file and line: those are for the decision log (charter.Options).
// resets_at is the RFC 3339 time the pool's period next resets, absent when
// it never does.
//
// Limits are 409, not 403: the actor has the right, but the workspace's
// current state (its members, seats, pending invitations, or the plan it is
// on) stands in the way, and the same request succeeds once that state
// changes (someone leaves, an invitation is revoked, the plan is upgraded).
// A 403 would tell a client to stop offering the action to this user.
//
// # Idempotency keys
//
// A Spend route takes its idempotency key from the Idempotency-Key header
// (draft-ietf-httpapi-idempotency-key-header), either as a structured-field
// string ("...") or as a bare value. A retry with the same key gets the
// first spend's receipt and charges nothing; the handler runs again with
// that receipt. The key is scoped to the workspace, and the fingerprint of a
// spend is its actor, its action and a SHA-256 digest of the request's
// method, target (path and query) and body (charter.Service.SpendWith):
// the same key with another body, another target, another action or by
// another actor is 422. To compute the digest the Guard reads the body (at
// most Guard.MaxSpendBody bytes, 1 MiB by default; more is 413) and hands it
// to the handler unread. A key is 1 to 200 bytes; keys starting with
// "charter:" are charter's own (400).
//
// The package imports only the standard library and charter.
package charterhttp
