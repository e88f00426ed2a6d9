package fastyaml

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/charterhq/charter/policy/internal/benchpolicy"
)

// same reports how got, from Parse, differs from want, from yaml.v3, in
// what a loader reads: kinds, styles, resolved tags, values, anchors,
// positions and children. "" means not at all.
func same(got, want *yaml.Node, path string) string {
	switch {
	case got.Kind != want.Kind:
		return fmt.Sprintf("%s: kind %v, want %v", path, got.Kind, want.Kind)
	case got.Style != want.Style:
		return fmt.Sprintf("%s: style %v, want %v", path, got.Style, want.Style)
	case got.ShortTag() != want.ShortTag():
		return fmt.Sprintf("%s: tag %s, want %s", path, got.ShortTag(), want.ShortTag())
	case got.Value != want.Value:
		return fmt.Sprintf("%s: value %q, want %q", path, got.Value, want.Value)
	case got.Anchor != want.Anchor || got.Alias != nil || want.Alias != nil:
		return fmt.Sprintf("%s: anchor or alias", path)
	case got.Line != want.Line || got.Column != want.Column:
		return fmt.Sprintf("%s: at %d:%d, want %d:%d", path, got.Line, got.Column, want.Line, want.Column)
	case len(got.Content) != len(want.Content):
		return fmt.Sprintf("%s: %d children, want %d", path, len(got.Content), len(want.Content))
	}
	for i := range got.Content {
		if d := same(got.Content[i], want.Content[i], fmt.Sprintf("%s/%d", path, i)); d != "" {
			return d
		}
	}
	return ""
}

// fataler is what check needs of a *testing.T or *rapid.T.
type fataler interface {
	Helper()
	Fatalf(format string, args ...any)
}

// check parses src both ways: when Parse accepts it, yaml.v3 must parse it
// to the same single root.
func check(t fataler, src []byte) (accepted bool) {
	t.Helper()
	got, ok := Parse(src)
	if !ok {
		return false
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		t.Fatalf("Parse accepted what yaml.v3 refuses (%v):\n%s", err, src)
	}
	if len(doc.Content) != 1 {
		t.Fatalf("Parse accepted a document yaml.v3 finds %d roots in:\n%s", len(doc.Content), src)
	}
	if d := same(got, doc.Content[0], ""); d != "" {
		t.Fatalf("Parse and yaml.v3 differ at %s, in:\n%s", d, src)
	}
	return true
}

// TestPolicies checks that the seed policies and the benchmark's are in the
// subset, and parse as yaml.v3 parses them.
func TestPolicies(t *testing.T) {
	paths, err := filepath.Glob("../../../testdata/policies/*.yaml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no seed policies: %v", err)
	}
	for _, path := range paths {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !check(t, src) {
			t.Errorf("%s: outside the subset", path)
		}
	}
	if !check(t, benchpolicy.Source(64, 1000)) {
		t.Errorf("the benchmark's policy is outside the subset")
	}
}

// TestSubset checks inputs inside the subset against yaml.v3.
func TestSubset(t *testing.T) {
	for _, src := range []string{
		"a: b\n",
		"a: b",
		"# head\n\na: b # line\n# foot\n",
		"a:\n  b: c\n  d:\n    e: f\ng: h\n",
		"a:\n- x\n- y\nb: z\n",
		"a:\n  - x\n  -   'y'\n",
		"a: [x, 'y z', \"w\", 1, true, null, []]\n",
		"a: {k: v, n: 1, f: [x], m: {}, e: {p: q}}\n",
		"a: [ x , y ]\n",
		"a: It's plain, with commas (and parens)\n",
		"a: 'it''s quoted'\n",
		"a: \"double # not a comment\"\n",
		"a : b\n",
		"a: 0x1F\nb: 1e3\nc: 0o17\nd: 007\ne: yes\nf: a:b\ng: x\\y\n",
		"é: café — ü\n",
		"a:   \n  b: c\n",
		"a: b#c\n",
		"a: x # [y]\n",
	} {
		if !check(t, []byte(src)) {
			t.Errorf("outside the subset: %q", src)
		}
	}
}

// TestOutsideSubset checks inputs Parse must leave to yaml.v3.
func TestOutsideSubset(t *testing.T) {
	for _, src := range []string{
		"",
		"# only a comment\n",
		"- a\n- b\n",
		"  a: b\n",
		"a\n",
		"[a, b]\n",
		"{a: b}\n",
		"a: &x b\nc: *x\n",
		"a: !!str b\n",
		"a: |\n  text\n",
		"a: >\n  text\n",
		"a: b\n  c\n",
		"a: 'b\n  c'\n",
		"a: [b,\n  c]\n",
		"a: \"b\\n\"\n",
		"a:\tb\n",
		"a: b\r\n",
		"\ufeffa: b\n",
		"---\na: b\n",
		"a: b\n...\n",
		"%YAML 1.2\n---\na: b\n",
		"a:\nb: c\n",
		"a: b: c\n",
		"? a\n: b\n",
		"'a': b\n",
		"a: [b, , c]\n",
		"a: [b,]\n",
		"a: {b}\n",
		"a: {b: }\n",
		"a: [b]c\n",
		"a:\n  - b: c\n",
		"a:\n  - - b\n",
		"a:\n    b: c\n  d: e\n",
		"a: b\na: b\n\x00",
		"a: -b\n",
		"a: ~\n",
		"a: .inf\n",
		"<<: {a: b}\n",
		"a: [x?y]\n",
		"a: {x: y?}\n",
		"a: {x?: y}\n",
		"a: " + strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth) + "\n",
		"a: " + strings.Repeat("{a: ", maxDepth) + "b" + strings.Repeat("}", maxDepth) + "\n",
	} {
		if _, ok := Parse([]byte(src)); ok {
			t.Errorf("Parse accepted %q", src)
		}
	}
}

// TestDepth checks nesting up to maxDepth, and that deeper nesting is left
// to yaml.v3.
func TestDepth(t *testing.T) {
	flow := "a: " + strings.Repeat("[", maxDepth-1) + strings.Repeat("]", maxDepth-1) + "\n"
	if !check(t, []byte(flow)) {
		t.Errorf("flow nesting of %d refused", maxDepth)
	}
	var block strings.Builder
	for i := range maxDepth {
		block.WriteString(strings.Repeat(" ", i) + "k:\n")
	}
	block.WriteString(strings.Repeat(" ", maxDepth) + "k: v\n")
	if _, ok := Parse([]byte(block.String())); ok {
		t.Errorf("block nesting of %d accepted", maxDepth+1)
	}
}

// TestLongLinesStayLinear parses a 1 MiB line, with a character beyond
// ASCII before its many nodes: columns are counted once along the line, not
// from its start for each node, which took minutes.
func TestLongLinesStayLinear(t *testing.T) {
	src := []byte("é: [" + strings.Repeat("x,", 1<<19-8) + "x]\n")
	start := time.Now()
	n, ok := Parse(src)
	if !ok {
		t.Fatal("refused")
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("Parse took %v", took)
	}
	last := n.Content[1].Content[len(n.Content[1].Content)-1]
	if want := utf8.RuneCount(src[:len(src)-len("x]\n")]) + 1; last.Column != want {
		t.Errorf("last item at column %d, want %d", last.Column, want)
	}
}

// FuzzParse holds Parse to yaml.v3 on whatever it accepts.
func FuzzParse(f *testing.F) {
	f.Add([]byte("a: b\n"))
	f.Add([]byte("a:\n  b: [x, 'y', \"z\"]\n  c: {k: v}\nd:\n- e\n"))
	f.Add([]byte("roles:\n  r0: {owner: true, rank: 1000} # c\n"))
	f.Add(benchpolicy.Source(3, 4))
	paths, _ := filepath.Glob("../../../testdata/policies/*.yaml")
	for _, path := range paths {
		if src, err := os.ReadFile(path); err == nil {
			f.Add(src)
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		check(t, src)
	})
}

func BenchmarkParse(b *testing.B) {
	src := benchpolicy.Source(64, 1000)
	b.Run("fastyaml", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		b.ReportAllocs()
		for range b.N {
			if _, ok := Parse(src); !ok {
				b.Fatal("outside the subset")
			}
		}
	})
	b.Run("yaml.v3", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		b.ReportAllocs()
		for range b.N {
			var n yaml.Node
			if err := yaml.Unmarshal(src, &n); err != nil {
				b.Fatal(err)
			}
		}
	})
}
