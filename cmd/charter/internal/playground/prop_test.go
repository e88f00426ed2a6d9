package playground

import (
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/charterhq/charter/policy"
)

// TestCheckAnyEdit: whatever the author has typed, the check endpoint
// answers 200 with exactly the loader's errors, each on a line of the text
// (or just past its end), or with a policy and a matrix of one row per
// action.
func TestCheckAnyEdit(t *testing.T) {
	h := New("")
	sources := map[string]string{}
	for _, name := range exampleNames() {
		sources[name] = shipped(t, name)
	}
	rapid.Check(t, func(t *rapid.T) {
		src := sources[rapid.SampledFrom(exampleNames()).Draw(t, "policy")]
		// Cut a piece out and put some text in its place, as typing does.
		at := rapid.IntRange(0, len(src)).Draw(t, "at")
		cut := rapid.IntRange(0, min(40, len(src)-at)).Draw(t, "cut")
		typed := rapid.StringOfN(rapid.SampledFrom([]rune("ab_: -[],\n\t\"'#{}01")), 0, 8, -1).Draw(t, "typed")
		// Edits are whole characters: the editor sends its text as JSON,
		// which cannot carry a character cut in half.
		end := at + cut
		for at > 0 && at < len(src) && !utf8.RuneStart(src[at]) {
			at--
		}
		for end < len(src) && !utf8.RuneStart(src[end]) {
			end++
		}
		src = src[:at] + typed + src[end:]

		code, reply := do(t, h, "POST", "/api/check", source{Name: "p.yaml", Source: src})
		if code != http.StatusOK {
			t.Fatalf("POST /api/check = %d %v", code, reply)
		}
		got := reencode[checkReply](t, reply)
		p, err := policy.Load("p.yaml", []byte(src))
		if err != nil {
			var want []lineError
			for _, e := range err.(policy.ErrorList) {
				want = append(want, lineError{Line: e.Pos.Line, Col: e.Pos.Col, Message: e.Msg})
			}
			if diff := cmp.Diff(want, got.Errors); diff != "" || got.Policy != nil || got.Matrix != nil {
				t.Fatalf("reply differs from the loader (-loader +reply):\n%s", diff)
			}
			lines := strings.Count(src, "\n") + 1
			for _, e := range got.Errors {
				if e.Line < 1 || e.Line > lines+1 {
					t.Fatalf("error %v is off the text's %d lines", e, lines)
				}
			}
			return
		}
		if len(got.Errors) != 0 || got.Matrix == nil || len(got.Matrix.Rows) != len(p.Actions()) {
			t.Fatalf("a policy that loads: errors %v, matrix %v", got.Errors, got.Matrix)
		}
	})
}

// FuzzMarkdownCells: a row of cells escaped as the policy's Markdown
// matrix escapes them reads back as those cells.
func FuzzMarkdownCells(f *testing.F) {
	f.Add("Action", "a | b")
	f.Add(`back\slash\`, `\|`)
	f.Add("", "✅")
	f.Fuzz(func(t *testing.T, a, b string) {
		// As policy's cell: whitespace runs become one space, | becomes \|.
		esc := func(s string) string {
			return strings.ReplaceAll(strings.Join(strings.Fields(s), " "), "|", `\|`)
		}
		row := "| " + esc(a) + " | " + esc(b) + " |"
		want := []string{strings.Join(strings.Fields(a), " "), strings.Join(strings.Fields(b), " ")}
		if got := markdownCells(row); !cmp.Equal(got, want) {
			t.Errorf("markdownCells(%q) = %q, want %q", row, got, want)
		}
	})
}
