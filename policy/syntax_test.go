package policy

import (
	"strconv"
	"strings"
	"testing"
)

// TestSyntaxErrorPositions: every kind of YAML mistake is reported once,
// at the line and column of the mistake, in the form editors parse, with
// any of the line ends YAML knows.
func TestSyntaxErrorPositions(t *testing.T) {
	e := func(oldNew ...string) string { return edit(t, base, oldNew...) }
	for _, tt := range []struct {
		name, src, want string
	}{
		{"tab in indentation", e("    rank: 50\n", "\trank: 50\n"), "x.yaml:17:1: tab character in indentation: indent with spaces"},
		{"tab before a key", e("    rank: 50\n", "    rank: 50\n\t  admin: false\n"), "x.yaml:18:1: tab character in indentation: indent with spaces"},
		{"indented too little", e("    rank: 50\n", "    rank: 50\n   admin: false\n"), "x.yaml:18:4: yaml syntax error: did not find expected key (is this line indented correctly?)"},
		{"indented too far", e("    rank: 50\n", "    rank: 50\n      admin: false\n"), "x.yaml:18:12: yaml syntax error: mapping values are not allowed in this context"},
		{"unclosed double quote", e("  view:\n", "  view:\n    description: \"View it\n"), `x.yaml:23:18: quoted string is not closed`},
		{"unclosed single quote", e("  view:\n", "  view:\n    description: 'View it\n"), `x.yaml:23:18: quoted string is not closed`},
		{"unclosed quote on line 1", "policy: 'x\nroles: {}\n", `x.yaml:1:9: quoted string is not closed`},
		{"unclosed flow mapping", e("  edit: {}\n", "  edit: {scope: project\n"), "x.yaml:24:9: flow mapping is not closed (did not find expected ',' or '}')"},
		{"unclosed flow sequence", e("  edit: [owner, admin, member]\n", "  edit: [owner, admin, member\n"), "x.yaml:40:9: flow sequence is not closed (did not find expected ',' or ']')"},
		{"character that cannot start a token", e("    rank: 50\n", "    rank: @50\n"), "x.yaml:17:11: yaml syntax error: found character that cannot start any token"},
		{"stray bracket", e("  edit: [owner, admin, member]\n", "  edit: [owner, admin, member]]\n"), "x.yaml:40:31: ']' closes nothing"},
		{"unknown escape", e("  view:\n", "  view:\n    description: \"a\\qb\"\n"), "x.yaml:23:20: yaml syntax error: found unknown escape character"},
		{"alias without a name", e("    rank: 50\n", "    rank: *\n"), "x.yaml:17:11: yaml syntax error: did not find expected alphabetic or numeric character"},
		{"percent sign", e("    rank: 50\n", "    rank: %50\n"), "x.yaml:17:11: yaml syntax error: found character that cannot start any token"},
		{"duplicate key", e("    rank: 50\n", "    rank: 50\n    rank: 40\n"), `x.yaml:18:5: duplicate key "rank" (first at x.yaml:17:5)`},
		{"unknown field", e("    rank: 50\n", "    rnak: 50\n"), `x.yaml:17:5: role "member": unknown field "rnak"; did you mean "rank"?`},
		{"wrong type", e("    rank: 50\n", "    rank: [50]\n"), `x.yaml:17:11: role "member": rank must be an integer, got a sequence`},
		{"NUL byte", e("    rank: 50\n", "    ra\x00nk: 50\n"), "x.yaml:17:7: NUL byte: a policy is text"},
		{"invalid UTF-8", e("    rank: 50\n", "    rank: 5\xff0\n"), "x.yaml:17:12: invalid UTF-8 (byte 0xff)"},
		{"UTF-16", "\xff\xfep\x00o\x00", "x.yaml:1:1: invalid UTF-8 (byte 0xff)"},
		{"control character", e("  member:\n", "  mé\x1bmber:\n"), "x.yaml:16:5: control character U+001B is not allowed"},
		{"flow nested too deep", "policy: t\nroles: " + strings.Repeat("[", 20000) + "\n", "x.yaml:2:10008: yaml syntax error: exceeded max depth of 10000"},
		{"block nested too deep", "policy: t\nroles:\n" + strings.Repeat("- ", 20000) + "\n", "x.yaml:3:20001: yaml syntax error: exceeded max depth of 10000"},
	} {
		for _, nl := range []string{"\n", "\r\n", "\r"} {
			t.Run(tt.name+" "+strconv.Quote(nl), func(t *testing.T) {
				_, err := Load("x.yaml", []byte(strings.ReplaceAll(tt.src, "\n", nl)))
				list, ok := err.(ErrorList)
				if !ok {
					t.Fatalf("Load = %v, want an ErrorList", err)
				}
				if got := list.Text(); got != tt.want {
					t.Errorf("Load:\n%s\nwant:\n%s", got, tt.want)
				}
			})
		}
	}
}

// TestOneMessagePerMistake: a mistake is reported once, where it is made,
// and not again where what it spoiled is used.
func TestOneMessagePerMistake(t *testing.T) {
	e := func(oldNew ...string) string { return edit(t, base, oldNew...) }
	for _, tt := range []struct {
		name, src, want string
	}{
		{
			"missing rank",
			e("  member:\n    rank: 50\n", "  member:\n    assigns: [guest]\n"),
			`x.yaml:16:3: role "member": missing required field "rank"`,
		},
		{
			"rank of the wrong type",
			e("  member:\n    rank: 50\n", "  member:\n    rank: fifty\n    assigns: [guest]\n"),
			`x.yaml:17:11: role "member": rank must be an integer, got "fifty"`,
		},
		{
			"owner's rank missing",
			e("    rank: 100\n", ""),
			`x.yaml:7:3: role "owner": missing required field "rank"`,
		},
		{
			"misspelt required field",
			e("    rank: 50\n", "    rnak: 50\n"),
			`x.yaml:17:5: role "member": unknown field "rnak"; did you mean "rank"?`,
		},
		{
			"invalid role name used elsewhere",
			e("  guest:\n", "  1x:\n    rank: 5\n  guest:\n", "    roles: [owner, member, guest]\n", "    roles: [owner, member, guest, 1x]\n", "  edit: [owner, admin, member]\n", "  edit: [owner, admin, member, 1x]\n", "    assigns: [member]\n", "    assigns: [member, 1x]\n"),
			`x.yaml:18:3: role name: invalid name "1x": want a letter, then letters, digits, '_', '-' or '.'`,
		},
		{
			"role that is not a mapping, used elsewhere",
			e("  member:\n    rank: 50\n", "  member: 50\n"),
			`x.yaml:16:11: role "member" must be a mapping, got "50"`,
		},
		{
			"misspelt section",
			e("roles:\n", "rolse:\n"),
			`x.yaml:6:1: unknown field "rolse"; did you mean "roles"?`,
		},
		{
			"misspelt optional section",
			e("policy: t\nfeatures: [pro]\n", "policy: t\nfeaturs: [pro]\n"),
			`x.yaml:2:1: unknown field "featurs"; did you mean "features"?`,
		},
		{
			"roles not a mapping",
			e("roles:\n", "roles: []\nxroles:\n"),
			"x.yaml:6:8: roles must be a mapping, got a sequence\n" + `x.yaml:7:1: unknown field "xroles"; did you mean "roles"?`,
		},
		{
			"misspelt owner",
			e("    owner: true\n", "    ownr: true\n"),
			`x.yaml:8:5: role "owner": unknown field "ownr"; did you mean "owner"?`,
		},
		{
			"misspelt admin",
			e("    owner: true\n    admin: true\n", "    owner: true\n    admn: true\n"),
			`x.yaml:9:5: role "owner": unknown field "admn"; did you mean "admin"?`,
		},
		{
			"admin of the wrong type",
			e("    owner: true\n    admin: true\n", "    owner: true\n    admin: yes\n"),
			`x.yaml:9:12: role "owner": admin must be true or false, got "yes"`,
		},
		{
			"misspelt scope",
			e("  view:\n    scope: project\n", "  view:\n    scpe: project\n"),
			`x.yaml:23:5: action "view": unknown field "scpe"; did you mean "scope"?`,
		},
		{
			"scope of a wrong value",
			e("  view:\n    scope: project\n", "  view:\n    scope: projects\n"),
			`x.yaml:23:12: action "view": scope must be "workspace" or "project", got "projects"`,
		},
		{
			"misspelt guest",
			e("  guest:\n    guest: true\n", "  guest:\n    gust: true\n"),
			`x.yaml:19:5: role "guest": unknown field "gust"; did you mean "guest"?`,
		},
		{
			"misspelt plan roles",
			e("    roles: [owner, member, guest]\n", "    role: [owner, member, guest]\n"),
			`x.yaml:34:5: plan "free": unknown field "role"; did you mean "roles"?`,
		},
		{
			"an unknown field unlike any other is a mistake of its own",
			e("  pay: [owner]\n", "  pay: [owner, member]\n", "    rank: 50\n", "    rank: 50\n    colour: red\n"),
			`x.yaml:18:5: role "member": unknown field "colour"` + "\n" +
				`x.yaml:43:16: billing action "pay" granted to non-admin role "member" (role declared at x.yaml:16:3)`,
		},
		{
			"unknown operation",
			e("  change_plan: pay\n", "  change_pln: pay\n"),
			`x.yaml:31:3: unknown operation "change_pln"; did you mean "change_plan"?`,
		},
		{
			"unknown feature",
			e("    feature: pro\n", "    feature: pr0\n"),
			`x.yaml:26:14: action "generate": unknown feature "pr0"; did you mean "pro"?`,
		},
		{
			"unknown action",
			e("  pay: [owner]\n", "  pya: [owner]\n"),
			`x.yaml:42:3: permissions: unknown action "pya"; did you mean "pay"?`,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load("x.yaml", []byte(tt.src))
			list, ok := err.(ErrorList)
			if !ok {
				t.Fatalf("Load = %v, want an ErrorList", err)
			}
			if got := list.Text(); got != tt.want {
				t.Errorf("Load:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// TestTooManyErrors: Load stops after MaxErrors, and says so last, at the
// position of the mistake it stopped at.
func TestTooManyErrors(t *testing.T) {
	src := "policy: t\nfeatures: [" + strings.Repeat("1, ", 1000) + "1]\nroles: {o: {owner: true, admin: true, rank: 1}}\nactions: {a: {}}\nplans: {p: {}}\npermissions: {}\n"
	_, err := Load("x.yaml", []byte(src))
	list, ok := err.(ErrorList)
	if !ok || len(list) != MaxErrors+1 {
		t.Fatalf("Load = %v, want %d errors", err, MaxErrors+1)
	}
	for i, e := range list[:MaxErrors] {
		if want := (Pos{File: "x.yaml", Line: 2, Col: 12 + 3*i}); e.Pos != want || e.Msg != `features must be a string, got "1"` {
			t.Errorf("error %d = %v, want at %v", i, e, want)
		}
	}
	if got, want := list[MaxErrors].Text(), "x.yaml:2:"+strconv.Itoa(12+3*MaxErrors)+": too many errors"; got != want {
		t.Errorf("last error = %s, want %s", got, want)
	}
}
