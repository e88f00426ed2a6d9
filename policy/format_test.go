package policy

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

func TestFormat(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{
			name: "indentation and spacing",
			src:  "policy:    p\nroles:\n    a:\n        rank:   1\n        assigns:\n        - a\n",
			want: "policy: p\nroles:\n  a:\n    rank: 1\n    assigns:\n      - a\n",
		},
		{
			name: "comments everywhere",
			src:  "# head of file\n\n# head of policy\npolicy: p # name\nroles: # the roles\n  # before a\n  a:\n    rank: 1\n    # foot of a\n# foot of roles\n",
			want: "# head of file\n\n# head of policy\npolicy: p # name\nroles: # the roles\n  # before a\n  a:\n    rank: 1\n    # foot of a\n# foot of roles\n",
		},
		{
			name: "blank lines between entries kept, runs squeezed, none after an opening key",
			src:  "policy: p\n\n\n\nroles:\n\n  a: {rank: 1}\n\n  # b next\n  b: {rank: 2}\nfeatures: [x]\n\n\n",
			want: "policy: p\n\nroles:\n  a: {rank: 1}\n\n  # b next\n  b: {rank: 2}\nfeatures: [x]\n",
		},
		{
			name: "comment after a key whose value is flow goes after the value",
			src:  "features: # the features\n  [a, b]\nname: # n\n  x\n",
			want: "features: [a, b] # the features\nname: x # n\n",
		},
		{
			name: "comments the parser would drop, indented as the next line",
			src:  "a:\n  b: 1\n\n  # x\n# y\n  # z\n # w\n  c: [d]\n",
			want: "a:\n  b: 1\n\n  # x\n  # y\n  # z\n  # w\n  c: [d]\n",
		},
		{
			name: "complex key",
			src:  "? a # on the key\n: 1\n",
			want: "a: 1 # on the key\n",
		},
		{
			name: "trailing blanks",
			src:  "# head  \npolicy: p   \t\n",
			want: "# head\npolicy: p\n",
		},
		{
			name: "comments inside a flow list",
			src:  "features: [a, # first\n    b]\n",
			want: "features: [a, # first\n  b]\n",
		},
		{
			name: "styles kept",
			src:  "a: 'single'\nb: \"double\"\nc: |\n    literal\n    text\nd: [x,   y]\ne: {k: v}\n",
			want: "a: 'single'\nb: \"double\"\nc: |\n  literal\n  text\nd: [x, y]\ne: {k: v}\n",
		},
		{
			name: "document marker dropped",
			src:  "---\npolicy: p\n",
			want: "policy: p\n",
		},
		{
			name: "block sequences of mappings",
			src:  "plans:\n- name: a\n  x: 1\n\n-   name: b\n",
			want: "plans:\n  - name: a\n    x: 1\n\n  - name: b\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Format("p.yaml", []byte(tt.src))
			if err != nil {
				t.Fatalf("Format(%q): %v", tt.src, err)
			}
			if string(got) != tt.want {
				t.Errorf("Format(%q) =\n%s\nwant:\n%s", tt.src, got, tt.want)
			}
			again, err := Format("p.yaml", got)
			if err != nil || !bytes.Equal(again, got) {
				t.Errorf("Format is not idempotent on %q: %q, %v", got, again, err)
			}
		})
	}
}

func TestFormatRefuses(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"empty", "", "p.yaml:1:1: empty policy"},
		{"comments only", "# nothing\n", "p.yaml:1:1: empty policy"},
		{"two documents", "a: 1\n---\nb: 2\n", "a second YAML document is not allowed"},
		{"syntax error", "a: 1\nb: [\n", "p.yaml:"},
		{"comment the parser drops, next to a block scalar", "d: |\n  x\na:\n  b: 1\n\n  # x\n# y\n  # z\n # w\n  c: [d]\n", "does not keep every comment of this file (3 of 4 '#' found)"},
		{"too large", "a: " + strings.Repeat("x", DefaultMaxSize) + "\n", "larger than the limit of 1048576 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Format("p.yaml", []byte(tt.src))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Format(%.40q) = %q, %v; want an error holding %q", tt.src, got, err, tt.want)
			}
		})
	}
}

// commentRE finds a comment on a line of a file without '#' in its values.
var commentRE = regexp.MustCompile(`(^|\s)#.*$`)

// commentLines returns the comments of src, one per line, as written.
func commentLines(src []byte) []string {
	var out []string
	for line := range strings.Lines(string(src)) {
		if m := commentRE.FindString(strings.TrimRight(line, "\n")); m != "" {
			out = append(out, strings.TrimSpace(m))
		}
	}
	return out
}

// TestFormatSeeds: the shipped policies are in the standard layout, keep
// every comment, and come back from a mangled layout (four-space indents,
// blank lines doubled, trailing blanks, a document marker) byte for byte.
func TestFormatSeeds(t *testing.T) {
	files, err := filepath.Glob("../testdata/policies/*.yaml")
	if err != nil || len(files) < 5 {
		t.Fatalf("seed policies: %v, %d files", err, len(files))
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Format(file, src)
			if err != nil {
				t.Fatal(err)
			}
			if c := commentLines(src); len(c) < 20 || strings.Join(c, "\n") != strings.Join(commentLines(got), "\n") {
				t.Errorf("Format(%s) changed the comments: %d lines before, %d after", file, len(c), len(commentLines(got)))
			}
			if !bytes.Equal(got, src) {
				t.Errorf("Format(%s) changed a file in the standard layout:\n%s", file, got)
			}
			var m strings.Builder
			m.WriteString("---\n")
			for line := range strings.Lines(string(src)) {
				body := strings.TrimLeft(line, " ")
				m.WriteString(strings.Repeat(" ", 2*(len(line)-len(body))))
				if body == "\n" {
					m.WriteString("\n   \n")
					continue
				}
				m.WriteString(strings.TrimSuffix(body, "\n") + "  \n")
			}
			back, err := Format(file, []byte(m.String()))
			if err != nil {
				t.Fatalf("Format(mangled %s): %v", file, err)
			}
			if !bytes.Equal(back, src) {
				t.Errorf("Format(mangled %s) =\n%s\nwant the file as shipped", file, back)
			}
		})
	}
}

// mangle lays text out afresh: indents scaled by 1 to 3, comments added
// before lines and after them (each "# cN", N counting up), blank lines
// added, trailing blanks. It returns the new text and the comments added.
func mangle(t *rapid.T, text string) (string, []string) {
	scale := rapid.IntRange(1, 3).Draw(t, "scale")
	var b strings.Builder
	var added []string
	comment := func() string {
		c := fmt.Sprintf("# c%d", len(added))
		added = append(added, c)
		return c
	}
	for line := range strings.Lines(text) {
		line = strings.TrimSuffix(line, "\n")
		body := strings.TrimLeft(line, " ")
		indent := strings.Repeat(" ", scale*(len(line)-len(body)))
		switch rapid.IntRange(0, 5).Draw(t, "before") {
		case 0:
			b.WriteString("\n")
		case 1:
			// A comment line may sit at any indentation.
			at := rapid.IntRange(0, len(indent)).Draw(t, "commentIndent")
			b.WriteString(strings.Repeat(" ", at) + comment() + "\n")
		case 2:
			b.WriteString("\n" + indent + comment() + "\n" + indent + comment() + "\n")
		}
		b.WriteString(indent + body)
		switch rapid.IntRange(0, 3).Draw(t, "after") {
		case 0:
			b.WriteString(" " + comment())
		case 1:
			b.WriteString("   ")
		}
		b.WriteString("\n")
	}
	if rapid.Bool().Draw(t, "foot") {
		b.WriteString("\n" + comment() + "\n")
	}
	return b.String(), added
}

// TestFormatProperties: for generated policies in mangled layouts, Format
// keeps every comment, is a fixed point, and does not change the policy.
func TestFormatProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		g := genPolicy(t)
		src, added := mangle(t, g.render(t))
		checkFormat(t, src, added)
	})
}

// TestFormatSeedProperties is TestFormatProperties on the shipped policies,
// comments and all, in mangled layouts.
func TestFormatSeedProperties(t *testing.T) {
	files, err := filepath.Glob("../testdata/policies/*.yaml")
	if err != nil || len(files) < 5 {
		t.Fatalf("seed policies: %v, %d files", err, len(files))
	}
	rapid.Check(t, func(t *rapid.T) {
		file := rapid.SampledFrom(files).Draw(t, "file")
		text, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		src, added := mangle(t, string(text))
		checkFormat(t, src, added)
	})
}

// checkFormat checks Format on src, a policy holding the comments added:
// it keeps each of them once, is a fixed point, and keeps the policy.
func checkFormat(t *rapid.T, src string, added []string) {
	{
		want, err := Load("g.yaml", []byte(src))
		if err != nil {
			t.Fatalf("generated policy does not load: %v\n%s", err, src)
		}
		got, err := Format("g.yaml", []byte(src))
		if err != nil {
			t.Fatalf("Format: %v\n%s", err, src)
		}
		for _, c := range added {
			if n := strings.Count(string(got), c+"\n") + strings.Count(string(got), c+" "); n != 1 {
				t.Fatalf("comment %q appears %d times in\n%s\nformatted from\n%s", c, n, got, src)
			}
		}
		again, err := Format("g.yaml", got)
		if err != nil || !bytes.Equal(again, got) {
			t.Fatalf("Format is not a fixed point (%v):\n%s\nthen\n%s", err, got, again)
		}
		p, err := Load("g.yaml", got)
		if err != nil {
			t.Fatalf("formatted policy does not load: %v\n%s", err, got)
		}
		if !bytes.Equal(p.YAML(), want.YAML()) || p.Matrix() != want.Matrix() {
			t.Fatalf("formatting changed the policy:\n%s\nformatted:\n%s", src, got)
		}
	}
}

// FuzzFormat: whatever Format accepts, it formats to a fixed point that
// means the same YAML.
func FuzzFormat(f *testing.F) {
	files, _ := filepath.Glob("../testdata/policies/*.yaml")
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	f.Add([]byte("a: # c\n  [x, # d\n  y]\n\n\n# e\nb: {k: v}\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		got, err := Format("f.yaml", src)
		if err != nil {
			return
		}
		again, err := Format("f.yaml", got)
		if err != nil || !bytes.Equal(again, got) {
			t.Fatalf("Format(%q) = %q, not a fixed point: %q, %v", src, got, again, err)
		}
		a, _ := parseDocument(src)
		b, _ := parseDocument(got)
		if !sameDocument(a, b) {
			t.Fatalf("Format(%q) = %q changes the data", src, got)
		}
	})
}
