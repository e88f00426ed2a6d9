package policy

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Format returns src, the text of a policy file read from file, in the
// standard layout: two-space indentation, one space after a colon or a
// dash, one blank line at most between entries and none after a key that
// opens a block, no trailing blanks, no "---" marker. Everything the author
// chose is kept: every comment, the order of every section, key and list,
// and each value's style (flow or block list, quotes, literal text). A
// comment the YAML parser cannot tie to the entry it was written next to
// (a comment at column 1 inside an indented block, say) moves to the
// nearest place it can be tied to. The formatted text is a fixed point:
// Format of it returns it unchanged.
//
// Format works on the YAML, not on the policy: a file with mistakes in the
// policy formats as well as a good one, and means exactly what it meant
// before. Format refuses, returning an ErrorList, a file that is not one
// YAML document or is larger than DefaultMaxSize, and returns an error
// rather than text that would lose a comment, change a value, or not be a
// fixed point.
func Format(file string, src []byte) ([]byte, error) {
	l := &loader{file: file, src: src}
	if len(src) > DefaultMaxSize {
		l.errorAt(l.start(), "policy is larger than the limit of %d bytes", DefaultMaxSize)
		return nil, l.errs
	}
	doc, err := parseDocument(src)
	if err != nil {
		if _, lerr := Load(file, src); lerr != nil {
			// The loader reports YAML mistakes at their positions.
			return nil, lerr
		}
		l.errorAt(l.start(), "%v", err)
		return nil, l.errs
	}
	if len(doc.Content) == 0 {
		l.errorAt(l.start(), "empty policy")
		return nil, l.errs
	}
	if n := bytes.Count(src, []byte("#")); n > hashes(doc) {
		// The parser drops some comments indented unlike the lines
		// around them; indented as the line after them, it keeps them.
		fixed, ok := reindentComments(src, doc)
		var again *yaml.Node
		if ok {
			again, err = parseDocument(fixed)
			ok = err == nil && sameDocument(doc, again) && bytes.Count(fixed, []byte("#")) <= hashes(again)
		}
		if !ok {
			l.errorAt(l.start(), "cannot format: the YAML parser does not keep every comment of this file (%d of %d '#' found)", hashes(doc), n)
			return nil, l.errs
		}
		src, doc = fixed, again
	}
	// A pass can tie a comment to another node than the one it was
	// read with, which the next pass lays out differently; a few passes
	// settle every layout seen so far.
	const passes = 4
	out := src
	for range passes {
		next, err := formatPass(out, doc)
		if err != nil {
			l.errorAt(l.start(), "cannot format: %v", err)
			return nil, l.errs
		}
		if bytes.Equal(next, out) {
			return out, nil
		}
		out = next
		if doc, err = parseDocument(out); err != nil {
			l.errorAt(l.start(), "cannot format: %v", err)
			return nil, l.errs
		}
	}
	l.errorAt(l.start(), "cannot format: the layout of the comments does not settle after %d passes", passes)
	return nil, l.errs
}

// formatPass lays out src, parsed as doc, once, and checks that the text it
// writes holds the same data and the same comments.
func formatPass(src []byte, doc *yaml.Node) ([]byte, error) {
	orig, err := parseDocument(src) // doc, before keepLineComments moves comments
	if err != nil {
		return nil, err
	}
	keepLineComments(doc)
	walk(doc, func(n *yaml.Node) {
		n.HeadComment = trimLines(n.HeadComment)
		n.LineComment = trimLines(n.LineComment)
		n.FootComment = trimLines(n.FootComment)
	})
	out, err := encode(doc)
	if err != nil {
		return nil, err
	}
	got, err := parseDocument(out)
	switch {
	case err != nil:
		return nil, err
	case !sameDocument(orig, got):
		return nil, errors.New("the formatted text would mean something else")
	case comments(orig) != comments(got):
		return nil, errors.New("the formatted text would lose a comment")
	}
	return blankLines(src, orig, out, got), nil
}

// reindentComments returns src with every line that holds only a comment
// indented as the next line that holds something else, or not at all when
// none does. It reports false, and returns nothing, when src, parsed as
// doc, has a literal or folded block scalar or a scalar holding '#', where
// such a line could be text rather than a comment.
func reindentComments(src []byte, doc *yaml.Node) ([]byte, bool) {
	ok := true
	walk(doc, func(n *yaml.Node) {
		if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 || strings.Contains(n.Value, "#") {
			ok = false
		}
	})
	if !ok {
		return nil, false
	}
	lines := bytes.SplitAfter(src, []byte("\n"))
	indent := []byte(nil) // the indentation of the next line that is not a comment
	for i := len(lines) - 1; i >= 0; i-- {
		body := bytes.TrimLeft(lines[i], " \t")
		switch {
		case len(bytes.TrimSpace(body)) == 0:
		case body[0] == '#':
			lines[i] = append(append([]byte(nil), indent...), body...)
		default:
			indent = lines[i][:len(lines[i])-len(body)]
		}
	}
	return bytes.Join(lines, nil), true
}

// parseDocument parses src as at most one YAML document; an empty src gives
// a document node without content.
func parseDocument(src []byte) (*yaml.Node, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(src))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return &yaml.Node{Kind: yaml.DocumentNode}, nil
		}
		return nil, err
	}
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		return nil, errors.New("a second YAML document is not allowed")
	}
	return &doc, nil
}

func encode(doc *yaml.Node) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// walk calls f for n and every node under it, parents first.
func walk(n *yaml.Node, f func(*yaml.Node)) {
	f(n)
	for _, c := range n.Content {
		walk(c, f)
	}
}

// hashes counts the '#' of the comments and scalars of the tree of doc.
// Every '#' of a file is in one or the other, unless escaped in a double
// quoted scalar ("\x23"), which makes the count higher, not lower: a file
// holding more '#' than its tree has a comment the parser dropped.
func hashes(doc *yaml.Node) int {
	n := 0
	walk(doc, func(x *yaml.Node) {
		n += strings.Count(x.HeadComment+x.LineComment+x.FootComment+x.Value+x.Tag+x.Anchor, "#")
	})
	return n
}

// comments returns the text of every comment line of the tree of doc,
// sorted: the encoder may attach a comment to a neighbouring node (the foot
// of one entry becoming the head of the next) but must not lose one.
func comments(doc *yaml.Node) string {
	var lines []string
	walk(doc, func(x *yaml.Node) {
		for _, c := range []string{x.HeadComment, x.LineComment, x.FootComment} {
			for line := range strings.Lines(c) {
				if line = strings.TrimSpace(line); line != "" {
					lines = append(lines, line)
				}
			}
		}
	})
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// trimLines removes the blanks at the end of every line of s.
func trimLines(s string) string {
	if !strings.ContainsAny(s, " \t") {
		return s
	}
	var b strings.Builder
	for line := range strings.Lines(s) {
		body := strings.TrimRight(line, "\n")
		b.WriteString(strings.TrimRight(body, " \t"))
		b.WriteString(line[len(body):])
	}
	return b.String()
}

// keepLineComments moves the comment after a key whose value is not a
// block collection ("key: # why\n  [a, b]") onto the value, where the
// encoder writes it; left on the key, the encoder would drop it.
func keepLineComments(doc *yaml.Node) {
	walk(doc, func(n *yaml.Node) {
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.LineComment == "" || isBlock(v) {
				continue
			}
			if v.LineComment == "" {
				v.LineComment = k.LineComment
			} else {
				v.LineComment = k.LineComment + " " + v.LineComment
			}
			k.LineComment = ""
		}
	})
}

// isBlock reports whether n is a non-empty block mapping or sequence.
func isBlock(n *yaml.Node) bool {
	return (n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode) &&
		n.Style&yaml.FlowStyle == 0 && len(n.Content) > 0
}

// sameDocument reports whether a and b hold the same data: the same kinds,
// tags and values in the same places, whatever their styles and comments.
func sameDocument(a, b *yaml.Node) bool {
	if a.Kind != b.Kind || a.ShortTag() != b.ShortTag() || a.Value != b.Value ||
		a.Anchor != b.Anchor || len(a.Content) != len(b.Content) {
		return false
	}
	for i := range a.Content {
		if !sameDocument(a.Content[i], b.Content[i]) {
			return false
		}
	}
	return true
}

// blankLines returns out, the encoding of doc, with a blank line put back
// wherever src had one or more before an entry of a block mapping or
// sequence that is not the first of its collection; got is out parsed, of
// the same shape as doc. The encoder keeps blank lines inside comments but
// drops those between entries, which authors use to group a policy's
// sections and declarations.
func blankLines(src []byte, doc *yaml.Node, out []byte, got *yaml.Node) []byte {
	srcLines := bytes.Split(src, []byte("\n"))
	blank := func(line int) bool { // line counts from 1
		return line >= 1 && line <= len(srcLines) && len(bytes.TrimSpace(srcLines[line-1])) == 0
	}
	before := make(map[int]bool) // lines of out to put a blank line before
	var visit func(a, b *yaml.Node)
	visit = func(a, b *yaml.Node) {
		if a.Style&yaml.FlowStyle != 0 || len(a.Content) != len(b.Content) {
			return
		}
		step := 1
		if a.Kind == yaml.MappingNode {
			step = 2
		}
		if a.Kind == yaml.MappingNode || a.Kind == yaml.SequenceNode {
			for i := step; i < len(a.Content); i += step {
				if blank(firstLine(a.Content[i]) - 1) {
					before[firstLine(b.Content[i])] = true
				}
			}
		}
		for i := range a.Content {
			visit(a.Content[i], b.Content[i])
		}
	}
	visit(doc, got)
	if len(before) == 0 {
		return out
	}
	var b bytes.Buffer
	b.Grow(len(out) + len(before))
	prevBlank := true
	for i, line := range bytes.SplitAfter(out, []byte("\n")) {
		if before[i+1] && !prevBlank {
			b.WriteByte('\n')
		}
		b.Write(line)
		prevBlank = len(bytes.TrimSpace(line)) == 0
	}
	return b.Bytes()
}

// firstLine returns the line on which n starts, counting its head comment.
func firstLine(n *yaml.Node) int {
	if n.HeadComment == "" {
		return n.Line
	}
	return n.Line - strings.Count(strings.TrimRight(n.HeadComment, "\n"), "\n") - 1
}
