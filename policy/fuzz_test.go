package policy

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// FuzzLoad checks that Load never panics, that it returns either a policy
// or a non-empty ErrorList of at most MaxErrors+1 errors, each at a
// position inside the input, and that every policy it
// accepts round-trips through YAML. The size cap and the ban on aliases
// bound its time and memory.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(base))
	f.Add(docExample(f))
	for _, c := range badCases(f) {
		f.Add([]byte(c.src))
	}
	seeds, _ := filepath.Glob("../testdata/policies/*.yaml")
	for _, s := range seeds {
		if src, err := os.ReadFile(s); err == nil {
			f.Add(src)
		}
	}
	f.Add([]byte("a: &a [*a, *a]\nb: *a\n"))
	f.Add([]byte("{{{{{{{{{{[[[[[[[[[["))
	f.Fuzz(func(t *testing.T, src []byte) {
		p, err := Load("fuzz.yaml", src, MaxSize(64<<10))
		if err != nil {
			if p != nil {
				t.Fatal("policy and error")
			}
			list, ok := err.(ErrorList)
			if !ok || len(list) == 0 {
				t.Fatalf("error %T %v is not a non-empty ErrorList", err, err)
			}
			if len(list) > MaxErrors+1 {
				t.Fatalf("%d errors, more than MaxErrors+1", len(list))
			}
			// Lines as yaml.v3 counts them.
			text := strings.NewReplacer("\r\n", "\n", "\r", "\n", "\u0085", "\n", "\u2028", "\n", "\u2029", "\n").Replace(string(src))
			lines := strings.Split(text, "\n")
			for _, e := range list {
				if e.Pos.Line < 1 || e.Pos.Col < 1 || e.Pos.File != "fuzz.yaml" {
					t.Fatalf("error without a position: %v", e)
				}
				// yaml.v3 puts a missing node at the line after the last.
				end := e.Pos.Line == len(lines)+1 && e.Pos.Col == 1
				if !end && (e.Pos.Line > len(lines) || e.Pos.Col > utf8.RuneCountInString(lines[e.Pos.Line-1])+1) {
					t.Fatalf("error outside the input: %v", e)
				}
				if e.Text() != e.Pos.String()+": "+e.Msg || e.Error() != "policy: "+e.Text() {
					t.Fatalf("Text %q, Error %q", e.Text(), e.Error())
				}
			}
			return
		}
		_ = p.Matrix()
		checkRoundTrip(t, p)
	})
}

// FuzzSingleDocument checks the fast path of parse: where single takes
// an input, a Decoder reads the same first document, and no second one;
// where single reports a syntax error, the Decoder reports the same.
func FuzzSingleDocument(f *testing.F) {
	for _, s := range []string{
		"a: 1\n", "a: 1\n---\nb: 2\n", "a: 1\r---\rb: 2\r", "a: 1\n...\nb: 2\n",
		"a: 1\u2028---\u2028b: 2\n", "\ufeff---\na: 1\n", "a: |\n  ---\n  x\n", "- ...\n- ---\n",
		"a: [1, 2\n", "%YAML 1.2\n---\na: 1\n", "a: 1 # ...\n", "a: '\n---\n'\n", " -\n0000",
		" a: 1\nb: 2\n", "{a: 1}\nb: 2\n", "a: 1\n%YAML 1.2\n", "a:\n- 1\n- 2\nb: 3\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		if len(src) > 4<<10 {
			return
		}
		var u yaml.Node
		var root *yaml.Node
		var serr error
		func() {
			defer func() { _ = recover() }() // the Decoder path reports panics
			root, serr = single(src, &u)
		}()
		dec := yaml.NewDecoder(bytes.NewReader(src))
		var d yaml.Node
		err := func() (err error) {
			defer func() {
				if recover() != nil {
					err = errors.New("panic")
				}
			}()
			return dec.Decode(&d)
		}()
		if serr != nil {
			if err == nil || err.Error() != serr.Error() {
				t.Fatalf("single fails with %v, the Decoder with %v", serr, err)
			}
			return
		}
		if root == nil {
			return
		}
		if err != nil {
			t.Fatalf("single took the input, the Decoder fails: %v", err)
		}
		if !reflect.DeepEqual(u, d) {
			t.Fatalf("Unmarshal and Decoder read different documents")
		}
		var next yaml.Node
		if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
			t.Fatalf("single took the input, yet the Decoder reads more after the first document (%v)", err)
		}
	})
}
