// Package policy compiles a charter policy file — roles, actions, plans,
// currencies and the role x action permission table, written in YAML — into
// an immutable *Policy, and answers "may this actor do this in this
// workspace?" from a workspace snapshot without allocating, locking or doing
// I/O.
//
// # The policy file
//
// A policy file is one YAML document, in UTF-8 without control characters
// other than tab and line ends: a mapping with the sections below, in any
// order. Unknown fields, duplicate keys, values of the wrong type, a
// second document, anchors and aliases (& and *), and input over the size
// cap (1 MiB unless MaxSize says otherwise) are errors. Names of the policy,
// roles, actions, plans, features and currencies start with a letter and
// hold letters, digits, '_', '-' and '.', 128 bytes at most. A key is on
// one line and at most 1024 characters long (yaml.v3's limit). Every list names
// each item once. Ranks and limits fit in 32 bits, amounts in 64.
// A currency, action or plan with no fields may be declared with an empty
// value ("free:") or with "{}".
//
//	policy: <name>                    required
//	sharing: deny | convert           optional, default deny: what inviting someone
//	                                  into a personal workspace does (convert: it
//	                                  becomes a shared workspace)
//	ownership: every | personal       optional, default every, only with an owner role:
//	                                  where the owner exists (personal: only in each
//	                                  user's personal, original workspace)
//	creator_role: <role>              the admin role, not the owner role, the creator
//	                                  of a workspace without an owner starts with;
//	                                  required when no role is the owner or ownership
//	                                  is personal, an error otherwise
//	features: [<feature>, ...]        optional, at most 64: every plan feature used
//	currencies:                       optional: every currency used
//	  <currency>:
//	    description: <text>           optional
//	    kinds: [personal, shared]     optional, default both: where the currency exists
//	    initial: <int >= 0>           optional, default 0: granted once when a
//	                                  workspace of those kinds is created
//	roles:                            required, 1 to 64, in display order
//	  <role>:
//	    description: <text>           optional
//	    owner: <bool>                 at most one role is the owner role
//	    admin: <bool>                 billing actions go only to admin roles; the
//	                                  owner role is admin
//	    guest: <bool>                 acts only on projects granted to the member;
//	                                  never owner or admin; only project-scoped actions
//	    seat: <bool>                  occupies a paid seat
//	    spends: <bool>                may spend credits and hold an allowance; only
//	                                  roles that spend are granted actions with a cost
//	    rank: <int >= 0>              required; the owner role ranks strictly highest
//	    assigns: [<role>, ...]        roles a holder may give; never the owner role,
//	                                  never one of higher rank
//	actions:                          required, at least one, in display order
//	  <action>:
//	    description: <text>           optional: the label in Matrix
//	    scope: workspace | project    optional, default workspace
//	    feature: <feature>            optional: the plan feature it requires
//	    kinds: [personal, shared]     optional, default both: where it applies
//	    billing: <bool>               optional: a billing action, admin roles only
//	    cost: {<currency>: <int > 0>} optional: what one use spends; the currency must
//	                                  exist in every kind the action applies to
//	operations:                       optional: the action that authorizes each
//	  <op>: <action>                  Service operation; op is one of invite,
//	                                  invite_guest, remove, change_role,
//	                                  transfer_ownership, delete_workspace,
//	                                  change_plan, update_settings, fund_credits,
//	                                  set_allowance, view_spend, manage_coins,
//	                                  guest_access. An unmapped operation is
//	                                  denied to everyone, except guest_access,
//	                                  which update_settings' action then decides;
//	                                  transfer_ownership needs ownership: every.
//	plans:                            required, at least one, in display order
//	  <plan>:
//	    description: <text>           optional
//	    default: <bool>               at most one plan; the plan of new personal
//	                                  workspaces (else the first plan)
//	    features: [<feature>, ...]    optional, default none
//	    roles: [<role>, ...]          optional, default all; includes the owner role
//	                                  and the creator role
//	    invite_role: <role>           optional: what an email invitation gives when the
//	                                  inviter names no role; offered, not the owner
//	    link_role: <role>             optional: what a shareable link gives; no links
//	                                  without it; offered, not the owner
//	    limits:                       each optional: <int >= 0> or unlimited (default)
//	      members: ...                members who are not guests, the owner included
//	      seats: ...                  members in seat roles
//	      guests: ...
//	      shared_workspaces: ...      shared workspaces a user whose personal workspace
//	                                  is on this plan may own; 0 or unlimited unless
//	                                  ownership is every (else nobody owns them)
//	    credits:                      optional: one periodic grant per currency
//	      <currency>:
//	        amount: <int >= 0>        required
//	        every: <period>           required: "month", "7 days", "1 year", ...;
//	                                  the same in every plan granting the currency
//	        rollover: none | all | <int cap >= 0>    optional, default none
//	        allowances: optional | required          optional, default optional
//	    seat_price: {amount: <int >= 0, minor units>, currency: <ISO 4217>, every: <period>}
//	permissions:                      required: one row per action
//	  <action>: [<role>, ...]         the roles granted the action; an action without
//	                                  a row is granted to nobody
//
// # Owners and admins
//
// Where a workspace has an owner (the creator of every workspace, or, with
// ownership: personal, of a personal one), it has exactly one: the owner is
// not removed, demoted and does not leave, and ownership moves only by
// transfer to an admin. A workspace without an owner (a policy with no owner
// role, or a workspace other than a personal one under ownership: personal)
// keeps at least one admin instead: its creator starts as creator_role; any
// admin may leave, be demoted or removed while another admin remains, the last
// one not (workspace.ErrLastAdmin); the billing contact is the first admin,
// the earliest still an admin, and moves to the next when that one leaves or
// is demoted. A team product without an owner:
//
//	policy: teams
//	creator_role: admin           # no role is the owner: every workspace keeps an admin
//	roles:
//	  admin: {admin: true, seat: true, rank: 50, assigns: [admin, member]}
//	  member: {seat: true, rank: 20}
//
// and a studio whose owner exists only in each user's original workspace:
//
//	policy: studio
//	ownership: personal           # elsewhere the creator starts as creator_role
//	creator_role: admin
//	roles:
//	  owner: {owner: true, admin: true, rank: 100, assigns: [admin, editor]}
//	  admin: {admin: true, seat: true, rank: 50, assigns: [admin, editor]}
//	  editor: {seat: true, rank: 20}
//
// Load rejects the contradictions, naming both sides: ownership or a
// transfer_ownership operation without an owner role (or transfer with
// ownership: personal), a creator_role that is the owner role or not an admin
// role, a creator_role where the owner exists in every workspace, none where
// it is needed, and a finite shared_workspaces limit other than 0 where
// created workspaces have no owner to count them against.
//
// # Errors
//
// Load returns an ErrorList: every mistake it finds, each an *Error at the
// file:line:column where it is made (YAML syntax errors included: a tab in
// the indentation, a line indented wrongly, a quote or bracket not closed, a
// NUL or a byte that is not UTF-8), sorted. It stops after MaxErrors mistakes,
// the last entry then saying "too many errors". A mistake gives one message:
// a misspelt field is not also reported missing, a declaration reported
// wrong is not reported again where it is used, and one with a field
// reported misspelt or wrong is not judged by the rules between
// declarations (owner, admin, guest, billing, cost). An unknown field, role,
// action, feature, currency or operation comes with the nearest declared
// name, "did you mean". A rule broken by two declarations names both. An
// *Error's Error method has the package prefix; its Text method is the line
// editors and CI annotations read, which a command prints:
//
//	studio.yaml:61:27: billing action "change_billing" granted to non-admin role "editor" (role declared at studio.yaml:19:3)
//	studio.yaml:17:5: role "admin": unknown field "rnak"; did you mean "rank"?
//
// # Example
//
// A studio with an owner, admins, editors and project guests, a free and a
// pro plan, and AI credits:
//
//	policy: studio
//	sharing: convert              # inviting into a personal workspace shares it
//	features: [pro_tools]
//	currencies:
//	  ai_credits: {description: AI generation credits}
//	roles:                        # the matrix shows roles in this order
//	  owner:
//	    owner: true
//	    admin: true
//	    spends: true
//	    rank: 100
//	    assigns: [admin, editor, guest]
//	  admin:
//	    admin: true
//	    seat: true
//	    spends: true
//	    rank: 90
//	    assigns: [admin, editor, guest]
//	  editor:
//	    seat: true
//	    spends: true
//	    rank: 50
//	    assigns: [guest]
//	  guest:
//	    guest: true
//	    rank: 10
//	actions:
//	  view_project:
//	    description: View a project
//	    scope: project            # guests may be granted it, on their projects
//	  generate_video:
//	    description: Generate video
//	    feature: pro_tools        # only on plans with pro_tools
//	    cost: {ai_credits: 1}
//	  invite_members:
//	    description: Invite members
//	  change_billing:
//	    description: Change billing
//	    billing: true             # admin roles only, checked at load time
//	operations:
//	  invite: invite_members
//	  change_plan: change_billing
//	plans:
//	  free:
//	    default: true
//	    roles: [owner, editor, guest]
//	    invite_role: editor
//	    limits: {members: 3, guests: 5}
//	    credits:
//	      ai_credits: {amount: 10, every: month}
//	  pro:
//	    features: [pro_tools]
//	    link_role: editor
//	    credits:
//	      ai_credits: {amount: 1000, every: month, rollover: 500}
//	    seat_price: {amount: 1500, currency: USD, every: month}
//	permissions:
//	  view_project: [owner, admin, editor, guest]
//	  generate_video: [owner, admin, editor]
//	  invite_members: [owner, admin]
//	  change_billing: [owner]
//
// # The check
//
// Policy.Can, Policy.CanProject and Policy.Decide (and the same methods of
// an *Action, which skip the lookup of the action's name) test, in order,
// and stop at the first that fails:
//
//  1. the workspace is not nil (NoWorkspace) and the action exists
//     (UnknownAction);
//  2. the actor is a member of the workspace (NotMember);
//  3. the member's role and the workspace's plan are this policy's
//     (UnknownRole, UnknownPlan);
//  4. the action applies to the workspace's kind (WrongKind);
//  5. the permission table grants the action to the role (RoleLacksAction);
//  6. the plan has the features the action requires (PlanLacksFeature);
//  7. the plan offers the role (RoleNotOffered);
//  8. for a guest role: guests are not disabled (GuestsDisabled), and a
//     project-scoped action is on a project granted to the guest
//     (GuestNotOnProject); Can, which names no project, denies guests
//     every project-scoped action.
//
// Everybody else reaches every project. A Decision carries the Reason and
// the position of the policy rule that decided, for logs and for "why
// can't I".
package policy
