package policy

import (
	"strings"
	"testing"
)

// TestSyntaxErrorPositions: every kind of YAML mistake is reported once,
// at the line and column of the mistake, in the form editors parse.
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
		{"duplicate key", e("    rank: 50\n", "    rank: 50\n    rank: 40\n"), `x.yaml:18:5: duplicate key "rank" (first at x.yaml:17:5)`},
		{"unknown field", e("    rank: 50\n", "    rnak: 50\n"), `x.yaml:17:5: role "member": unknown field "rnak"; did you mean "rank"?`},
		{"wrong type", e("    rank: 50\n", "    rank: [50]\n"), `x.yaml:17:11: role "member": rank must be an integer, got a sequence`},
		{"NUL byte", e("    rank: 50\n", "    ra\x00nk: 50\n"), "x.yaml:17:7: NUL byte: a policy is text"},
		{"invalid UTF-8", e("    rank: 50\n", "    rank: 5\xff0\n"), "x.yaml:17:12: invalid UTF-8 (byte 0xff)"},
		{"control character", e("  member:\n", "  mé\x1bmber:\n"), "x.yaml:16:5: control character U+001B is not allowed"},
		{"flow nested too deep", "policy: t\nroles: " + strings.Repeat("[", 20000) + "\n", "x.yaml:2:10008: yaml syntax error: exceeded max depth of 10000"},
		{"block nested too deep", "policy: t\nroles:\n" + strings.Repeat("- ", 20000) + "\n", "x.yaml:3:20001: yaml syntax error: exceeded max depth of 10000"},
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
