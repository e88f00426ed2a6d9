package policy

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// base is a small valid policy the bad cases edit.
const base = `policy: t
features: [pro]
currencies:
  credits: {}
  coins: {kinds: [shared], initial: 5}
roles:
  owner:
    owner: true
    admin: true
    rank: 100
    assigns: [admin, member, guest]
  admin:
    admin: true
    rank: 90
    assigns: [member]
  member:
    rank: 50
  guest:
    guest: true
    rank: 10
actions:
  view:
    scope: project
  edit: {}
  generate:
    feature: pro
    cost: {credits: 1}
  pay:
    billing: true
operations:
  change_plan: pay
plans:
  free:
    roles: [owner, member, guest]
    invite_role: member
  pro:
    features: [pro]
permissions:
  view: [owner, admin, member, guest]
  edit: [owner, admin, member]
  generate: []
  pay: [owner]
`

// edit returns base with each old replaced by new; each old must occur
// exactly once.
func edit(tb testing.TB, src string, oldNew ...string) string {
	tb.Helper()
	for i := 0; i+1 < len(oldNew); i += 2 {
		if n := strings.Count(src, oldNew[i]); n != 1 {
			tb.Fatalf("edit: %q occurs %d times", oldNew[i], n)
		}
		src = strings.Replace(src, oldNew[i], oldNew[i+1], 1)
	}
	return src
}

func TestBaseLoads(t *testing.T) {
	if _, err := Load("base.yaml", []byte(base)); err != nil {
		t.Fatal(err)
	}
}

type badCase struct {
	name string
	src  string
	opts []Option
	want string // the whole error text
}

func badCases(tb testing.TB) []badCase {
	e := func(oldNew ...string) string { return edit(tb, base, oldNew...) }
	var manyRoles, manyFeatures strings.Builder
	manyRoles.WriteString("policy: t\nroles:\n  owner: {owner: true, admin: true, rank: 100}\n")
	for i := range 64 {
		fmt.Fprintf(&manyRoles, "  r%d: {rank: %d}\n", i, i)
	}
	manyRoles.WriteString("actions: {a: {}}\nplans: {p: {}}\npermissions: {}\n")
	manyFeatures.WriteString("features: [")
	for i := range 65 {
		if i > 0 {
			manyFeatures.WriteString(", ")
		}
		fmt.Fprintf(&manyFeatures, "f%d", i)
	}
	manyFeatures.WriteString("]\n")
	return []badCase{
		{
			name: "size cap",
			src:  base,
			opts: []Option{MaxSize(100)},
			want: "policy: bad.yaml:7:3: policy is larger than the size limit of 100 bytes, which it passes here",
		},
		{
			name: "empty",
			src:  "# nothing\n",
			want: "policy: bad.yaml:1:1: empty policy",
		},
		{
			name: "syntax",
			src:  e("  edit: {}\n", "  edit: {\n"),
			want: "policy: bad.yaml:24:9: flow mapping is not closed (did not find expected ',' or '}')",
		},
		{
			name: "anchor and alias",
			src:  e("  member:\n    rank: 50\n", "  member:\n    rank: &r 50\n", "  guest:\n    guest: true\n    rank: 10\n", "  guest:\n    guest: true\n    rank: *r\n"),
			want: `policy: bad.yaml:17:11: anchors and aliases are not allowed (found anchor "&r")
policy: bad.yaml:20:11: anchors and aliases are not allowed (found alias "*r")`,
		},
		{
			name: "unknown anchor",
			src:  e("    rank: 10\n", "    rank: *nope\n"),
			want: "policy: bad.yaml:20:11: anchors and aliases are not allowed (unknown anchor 'nope' referenced)",
		},
		{
			name: "second document",
			src:  base + "---\npolicy: u\n",
			want: "policy: bad.yaml:43:1: a second YAML document is not allowed",
		},
		{
			name: "not a mapping",
			src:  "- policy\n",
			want: "policy: bad.yaml:1:1: policy must be a mapping, got a sequence",
		},
		{
			name: "missing sections",
			src:  "policy: t\n",
			want: `policy: bad.yaml:1:1: missing required field "actions"
policy: bad.yaml:1:1: missing required field "permissions"
policy: bad.yaml:1:1: missing required field "plans"
policy: bad.yaml:1:1: missing required field "roles"`,
		},
		{
			name: "duplicate key",
			src:  e("  guest:\n    guest: true\n", "  member:\n    rank: 40\n  guest:\n    guest: true\n"),
			want: "policy: bad.yaml:18:3: duplicate key \"member\" (first at bad.yaml:16:3)",
		},
		{
			name: "unknown field",
			src:  e("    rank: 50\n", "    rnak: 50\n"),
			want: `policy: bad.yaml:17:5: role "member": unknown field "rnak"; did you mean "rank"?`,
		},
		{
			name: "unknown top-level field",
			src:  e("policy: t\n", "policy: t\npolicies: u\n"),
			want: "policy: bad.yaml:2:1: unknown field \"policies\"",
		},
		{
			name: "wrong types",
			src:  e("    rank: 50\n", "    rank: high\n", "    billing: true\n", "    billing: yes\n", "policy: t\n", "policy: 7\n"),
			want: `policy: bad.yaml:1:9: policy must be a string, got "7"
policy: bad.yaml:17:11: role "member": rank must be an integer, got "high"
policy: bad.yaml:29:14: action "pay": billing must be true or false, got "yes"`,
		},
		{
			name: "invalid names",
			src:  e("  guest:\n", "  2nd:\n    rank: 50\n  guest:\n", "  pay: [owner]\n", "  pay: [owner]\n  true: [owner]\n  \"on\": [owner]\n"),
			want: `policy: bad.yaml:18:3: role name: invalid name "2nd": want a letter, then letters, digits, '_', '-' or '.'
policy: bad.yaml:45:3: permissions: key must be a string, got "true"
policy: bad.yaml:46:3: permissions: unknown action "on"`,
		},
		{
			name: "negative and invalid numbers",
			src:  e("    rank: 50\n", "    rank: -1\n", "initial: 5}", "initial: 1.5}", "    features: [pro]\n", "    features: [pro]\n    limits: {members: -2, seats: lots}\n"),
			want: `policy: bad.yaml:5:37: currency "coins": initial must be an integer, got "1.5"
policy: bad.yaml:17:11: role "member": rank must be at least 0, got "-1"
policy: bad.yaml:38:23: plan "pro": limits: members must be at least 0, got "-2"
policy: bad.yaml:38:34: plan "pro": limits: seats must be an integer >= 0 or "unlimited", got "lots"`,
		},
		{
			name: "unknown role in permissions",
			src:  e("  edit: [owner, admin, member]\n", "  edit: [owner, admin, membr]\n"),
			want: "policy: bad.yaml:40:24: permissions: \"edit\": unknown role \"membr\"; did you mean \"member\"?",
		},
		{
			name: "unknown action in permissions",
			src:  e("  pay: [owner]\n", "  pay: [owner]\n  delete: []\n"),
			want: "policy: bad.yaml:43:3: permissions: unknown action \"delete\"",
		},
		{
			name: "billing to non-admin",
			src:  e("  pay: [owner]\n", "  pay: [owner, member]\n"),
			want: "policy: bad.yaml:42:16: billing action \"pay\" granted to non-admin role \"member\" (role declared at bad.yaml:16:3)",
		},
		{
			name: "guest with workspace-scoped action",
			src:  e("  edit: [owner, admin, member]\n", "  edit: [owner, admin, member, guest]\n"),
			want: "policy: bad.yaml:40:32: guest role \"guest\" granted workspace-scoped action \"edit\" (role declared at bad.yaml:18:3)",
		},
		{
			name: "guest and admin",
			src:  e("    guest: true\n", "    guest: true\n    admin: true\n"),
			want: "policy: bad.yaml:19:12: role \"guest\" cannot be both guest and admin",
		},
		{
			name: "no owner",
			src:  e("    owner: true\n", ""),
			want: "policy: bad.yaml:7:3: no role has owner: true; exactly one role must be the owner",
		},
		{
			name: "two owners",
			src:  e("    admin: true\n    rank: 90\n", "    admin: true\n    owner: true\n    rank: 90\n"),
			want: "policy: bad.yaml:14:12: role \"admin\": owner: true, but role \"owner\" is already the owner role (declared at bad.yaml:7:3); exactly one role is the owner",
		},
		{
			name: "owner not admin nor highest",
			src:  e("    owner: true\n    admin: true\n", "    owner: true\n", "    rank: 90\n", "    rank: 100\n"),
			want: `policy: bad.yaml:7:3: owner role "owner" must be admin
policy: bad.yaml:13:11: role "admin": rank 100 must be below the owner role "owner"'s rank 100 (declared at bad.yaml:7:3)
policy: bad.yaml:41:9: billing action "pay" granted to non-admin role "owner" (role declared at bad.yaml:7:3)`,
		},
		{
			name: "assigns above rank and the owner",
			src:  e("    assigns: [member]\n", "    assigns: [owner, member]\n", "  member:\n    rank: 50\n", "  member:\n    rank: 50\n    assigns: [admin, nobody]\n"),
			want: `policy: bad.yaml:15:15: role "admin": cannot assign the owner role "owner"; ownership moves only by transfer
policy: bad.yaml:18:15: role "member" (rank 50) cannot assign role "admin" of higher rank 90 (declared at bad.yaml:12:3)
policy: bad.yaml:18:22: role "member": assigns unknown role "nobody"`,
		},
		{
			name: "unknown feature, currency, operation and action",
			src:  e("    feature: pro\n", "    feature: pro_tools\n", "    cost: {credits: 1}\n", "    cost: {credit: 1}\n", "  change_plan: pay\n", "  change_plan: paying\n  rename: pay\n", "    features: [pro]\n", "    features: [pro, sso]\n"),
			want: `policy: bad.yaml:26:14: action "generate": unknown feature "pro_tools"
policy: bad.yaml:27:12: action "generate": cost in unknown currency "credit"; did you mean "credits"?
policy: bad.yaml:31:16: operation "change_plan": unknown action "paying"
policy: bad.yaml:32:3: unknown operation "rename"
policy: bad.yaml:38:21: plan "pro": unknown feature "sso"`,
		},
		{
			name: "cost",
			src:  e("  edit: {}\n", "  edit: {cost: {credits: 0}}\n  edit2: {cost: {credits: 1, coins: 1}}\n  edit3: {cost: {coins: 2}}\n"),
			want: `policy: bad.yaml:24:26: action "edit": cost of "credits" must be at least 1, got "0"
policy: bad.yaml:25:17: action "edit2": cost must name exactly one currency, got 2
policy: bad.yaml:26:18: action "edit3" applies in personal workspaces, where its cost currency "coins" does not exist (currency declared at bad.yaml:5:3)`,
		},
		{
			name: "kinds, scope and sharing",
			src:  e("policy: t\n", "policy: t\nsharing: always\n", "  edit: {}\n", "  edit: {kinds: [team], scope: global}\n  edit2: {kinds: []}\n"),
			want: `policy: bad.yaml:2:10: sharing must be "deny" or "convert", got "always"
policy: bad.yaml:25:18: action "edit": kinds: unknown workspace kind "team" (want personal or shared)
policy: bad.yaml:25:32: action "edit": scope must be "workspace" or "project", got "global"
policy: bad.yaml:26:18: action "edit2": kinds must name at least one workspace kind`,
		},
		{
			name: "plan roles",
			src:  e("    roles: [owner, member, guest]\n    invite_role: member\n", "    roles: [member, guest, member]\n    invite_role: admin\n    link_role: owner\n"),
			want: `policy: bad.yaml:34:12: plan "free": roles must include the owner role "owner"
policy: bad.yaml:34:28: plan "free": roles: "member" listed twice (first at bad.yaml:34:13)
policy: bad.yaml:35:18: plan "free": invite_role "admin" is not offered by the plan (roles at bad.yaml:34:12)
policy: bad.yaml:36:16: plan "free": link_role cannot be the owner role "owner"`,
		},
		{
			name: "default twice",
			src:  e("  free:\n", "  free:\n    default: true\n", "  pro:\n", "  pro:\n    default: true\n"),
			want: "policy: bad.yaml:38:14: plan \"pro\": default: true, but plan \"free\" is already the default (declared at bad.yaml:34:14)",
		},
		{
			name: "credits and seat price",
			src: e("    features: [pro]\n", `    features: [pro]
    credits:
      credits: {amount: 10, every: fortnight, rollover: some}
      coins: {every: month, allowances: maybe}
      gold: {amount: 1, every: month}
    seat_price: {amount: 5, currency: usd}
`),
			want: `policy: bad.yaml:39:36: plan "pro": credits "credits": every: invalid period "fortnight": want "[N] day|week|month|year[s]", N from 1 to 1000
policy: bad.yaml:39:57: plan "pro": credits "credits": rollover must be "none", "all" or an integer cap >= 0, got "some"
policy: bad.yaml:40:7: plan "pro": credits "coins": missing required field "amount"
policy: bad.yaml:40:41: plan "pro": credits "coins": allowances must be "optional" or "required", got "maybe"
policy: bad.yaml:41:7: plan "pro": credits in unknown currency "gold"
policy: bad.yaml:42:17: plan "pro": seat_price: missing required field "every"
policy: bad.yaml:42:39: plan "pro": seat_price: currency must be an ISO 4217 code like "USD", got "usd"`,
		},
		{
			name: "cost granted to a role that does not spend",
			src:  e("  generate: []\n", "  generate: [owner, member]\n"),
			want: `policy: bad.yaml:41:14: action "generate" costs credits, granted to role "owner", which does not spend credits (role declared at bad.yaml:7:3)
policy: bad.yaml:41:21: action "generate" costs credits, granted to role "member", which does not spend credits (role declared at bad.yaml:16:3)`,
		},
		{
			name: "over the caps",
			src:  e("    rank: 50\n", "    rank: 3000000000\n", "policy: t\nfeatures: [pro]\n", "policy: t\nfeatures: [pro, "+strings.Repeat("f", 129)+"]\n"),
			want: `policy: bad.yaml:2:17: features: name of 129 bytes: at most 128
policy: bad.yaml:17:11: role "member": rank must be between 0 and 2147483647, got "3000000000"`,
		},
		{
			name: "one currency on two schedules",
			src: e(`    invite_role: member
`, `    invite_role: member
    credits:
      credits: {amount: 10, every: month}
`, `    features: [pro]
`, `    features: [pro]
    credits:
      credits: {amount: 100, every: year}
`),
			want: `policy: bad.yaml:41:7: plan "pro": credits of "credits" every 1 year, but plan "free" grants them every 1 month (at bad.yaml:37:7): a currency is granted on one schedule in every plan`,
		},
		{
			name: "more than 64 roles",
			src:  manyRoles.String(),
			want: "policy: bad.yaml:67:3: more than 64 roles",
		},
		{
			name: "more than 64 features",
			src:  e("policy: t\nfeatures: [pro]\n", "policy: t\n"+strings.Replace(manyFeatures.String(), "[", "[pro, ", 1)),
			want: "policy: bad.yaml:2:322: more than 64 features",
		},
		{
			name: "several errors sorted",
			src:  e("    rank: 10\n", "    rank: 10\n    color: red\n", "  pay: [owner]\n", "  pay: [admin, member]\n", "policy: t\n", "policy: t\nsharing: 1\n"),
			want: `policy: bad.yaml:2:10: sharing must be a string, got "1"
policy: bad.yaml:22:5: role "guest": unknown field "color"
policy: bad.yaml:44:16: billing action "pay" granted to non-admin role "member" (role declared at bad.yaml:17:3)`,
		},
	}
}

func TestBadPolicies(t *testing.T) {
	for _, tt := range badCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Load("bad.yaml", []byte(tt.src), tt.opts...)
			if err == nil {
				t.Fatalf("Load succeeded, want error:\n%s", tt.want)
			}
			if p != nil {
				t.Errorf("Load returned a policy with its error")
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("Load error:\n%s\nwant:\n%s", got, tt.want)
			}
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error %T is not a non-empty ErrorList", err)
			}
			var e *Error
			if !errors.As(err, &e) || e != list[0] {
				t.Errorf("errors.As(*Error) = %v, want the first error %v", e, list[0])
			}
			for i := 1; i < len(list); i++ {
				if comparePos(list[i-1].Pos, list[i].Pos) > 0 {
					t.Errorf("errors not sorted: %v before %v", list[i-1], list[i])
				}
			}
			for _, e := range list {
				if e.Pos.File != "bad.yaml" || e.Pos.Line < 1 || e.Pos.Col < 1 {
					t.Errorf("error without a full position: %v", e)
				}
			}
		})
	}
}

// TestDuplicateInLongList: names finds a repeated name at any distance, in
// lists checked through its 256-bit filter (up to 64 names) and through a
// set (longer ones), and passes distinct names however many share a filter
// bit. The list of 100,000 names, near the 1 MiB cap, takes seconds if the
// check ever turns quadratic again (a review found it once).
func TestDuplicateInLongList(t *testing.T) {
	for _, n := range []int{2, 9, 64, 65, 300, 100000} {
		var names []string
		for i := range n {
			names = append(names, fmt.Sprintf("f%d", i))
		}
		src := []byte("policy: long\nfeatures: [" + strings.Join(names, ", ") + "]\n")
		l := &loader{file: "long.yaml", src: src}
		root := l.parse()
		if got := l.names(root.Content[3], "features"); len(got) != n || len(l.errs) != 0 {
			t.Fatalf("%d distinct names: got %d, errors %v", n, len(got), l.errs)
		}
		for _, dup := range []int{0, n / 2, n - 1} {
			list := append(slices.Clone(names), names[dup])
			src := []byte("policy: long\nfeatures: [" + strings.Join(list, ", ") + "]\n")
			l := &loader{file: "long.yaml", src: src}
			got := l.names(l.parse().Content[3], "features")
			col := 12 + len(strings.Join(names[:dup], ", ")) // after "features: ["
			if dup > 0 {
				col += len(", ")
			}
			want := fmt.Sprintf("features: %q listed twice (first at long.yaml:2:%d)", names[dup], col)
			if len(got) != n || len(l.errs) != 1 || !strings.HasSuffix(l.errs[0].Error(), want) {
				t.Errorf("%d names, %s twice: got %d names, errors %v; want %q", n, names[dup], len(got), l.errs, want)
			}
		}
	}
}

// TestMatrixGateOnNoPlan: an action gated on a feature no plan has shows
// "none" in the Plans column, not the empty cell of an ungated action (a
// review found the two rows identical).
func TestMatrixGateOnNoPlan(t *testing.T) {
	src := edit(t, base, "policy: t\nfeatures: [pro]\n", "policy: t\nfeatures: [pro, sso]\n", "  pay:\n    billing", "  sso_login: {feature: sso}\n  pay:\n    billing")
	p, err := Load("gate.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var row string
	for _, l := range strings.Split(p.Matrix(), "\n") {
		if strings.HasPrefix(l, "| sso_login |") {
			row = l
		}
	}
	if !strings.HasSuffix(row, "| none |") {
		t.Errorf("sso_login row = %q, want its Plans cell to say none", row)
	}
}

// TestUnknownAliasPosition: an unknown alias is reported where it is used,
// not where its text first appears in a comment.
func TestUnknownAliasPosition(t *testing.T) {
	src := edit(t, base, "policy: t\n", "policy: t # ranks: *r marks a rank\n", "    rank: 10\n", "    rank: *r\n")
	_, err := Load("bad.yaml", []byte(src))
	if err == nil || !strings.HasPrefix(err.Error(), "policy: bad.yaml:20:11: ") {
		t.Errorf("Load = %v, want the alias's position bad.yaml:20:11", err)
	}
}
