// Package fastyaml parses the plain subset of YAML that policies are
// written in, into the same yaml.v3 nodes yaml.v3 builds, several times
// faster. It is a fast path, not a parser of its own: for any input outside
// the subset it reports false, and the caller parses with yaml.v3.
//
// The subset is one document whose root is a block mapping at column 1,
// made of block mappings with plain keys, block sequences of single-line
// items, and single-line values: plain scalars, quoted scalars without
// escapes, and flow sequences and mappings of those. Comments are allowed
// and dropped (no node carries them). Everything else, such as anchors,
// tags, block scalars, multi-line scalars, escapes, tabs, document markers,
// directives, complex keys, empty values and nesting deeper than 64
// levels, is outside.
//
// Scalars are left untagged, so Node.ShortTag resolves a plain scalar with
// yaml.v3's own rules. Where Parse accepts an input, yaml.v3 parses it to
// the same tree: kinds, styles, resolved tags, values, lines and columns.
// FuzzParse holds it to that.
package fastyaml

import (
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Parse returns the root node of src, a block mapping, and true; or false
// when src is outside the subset.
func Parse(src []byte) (*yaml.Node, bool) {
	if !clean(src) {
		return nil, false
	}
	p := &parser{src: string(src), atLine: -1}
	p.split()
	p.next = p.skipBlank(0)
	if p.next >= len(p.lines) || p.lines[p.next].indent != 0 {
		return nil, false
	}
	root, ok := p.blockMapping(0)
	if !ok || p.next < len(p.lines) {
		return nil, false
	}
	return root, true
}

// clean reports whether src is valid UTF-8 of characters YAML prints, with
// "\n" as its only line break and no tab or byte order mark: what the
// subset is made of.
func clean(src []byte) bool {
	for i := 0; i < len(src); {
		c := src[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\n' || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(src[i:])
		if r == utf8.RuneError || r < 0xa0 || r == 0x2028 || r == 0x2029 || r == 0xfeff || r >= 0xfffe && r <= 0xffff || r >= 0xd800 && r <= 0xdfff {
			return false
		}
		i += n
	}
	return true
}

// line is one line of the source: its text without the line break, where
// its content starts (indent, in bytes: spaces only), whether it holds
// nothing to parse, and whether it is all ASCII (so bytes are columns).
type line struct {
	text   string
	indent int
	blank  bool // empty, spaces or a comment only
	ascii  bool
}

// parser is one Parse: the source by lines, and where it is in them.
type parser struct {
	src   string
	lines []line
	next  int // the line to parse next
	slab  []yaml.Node
	depth int // of the collection being parsed
	// at is where column last counted to: line, byte offset and column.
	atLine, atOff, atCol int
}

// maxDepth is how deeply the subset nests collections. Policies nest a few
// levels; a limit keeps the stack small and stays under yaml.v3's own
// (10,000 levels), so that what Parse accepts, yaml.v3 accepts too.
const maxDepth = 64

// enter counts one more level of nesting, and reports false past maxDepth.
func (p *parser) enter() bool {
	p.depth++
	return p.depth <= maxDepth
}

func (p *parser) leave() { p.depth-- }

// split cuts p.src into p.lines at each "\n".
func (p *parser) split() {
	rest := p.src
	for len(rest) > 0 || p.lines == nil {
		t, after, found := strings.Cut(rest, "\n")
		l := line{text: t, ascii: true}
		for l.indent < len(t) && t[l.indent] == ' ' {
			l.indent++
		}
		l.blank = l.indent == len(t) || t[l.indent] == '#'
		for i := 0; i < len(t); i++ {
			if t[i] >= utf8.RuneSelf {
				l.ascii = false
				break
			}
		}
		p.lines = append(p.lines, l)
		if !found {
			break
		}
		rest = after
	}
}

// skipBlank returns the first line from i on that is not blank.
func (p *parser) skipBlank(i int) int {
	for i < len(p.lines) && p.lines[i].blank {
		i++
	}
	return i
}

// node returns a new node of kind at line i, byte offset off.
func (p *parser) node(kind yaml.Kind, i, off int) *yaml.Node {
	if len(p.slab) == 0 {
		p.slab = make([]yaml.Node, 256)
	}
	n := &p.slab[0]
	p.slab = p.slab[1:]
	n.Kind, n.Line, n.Column = kind, i+1, p.column(i, off)
	return n
}

// column is the 1-based column of byte offset off in line i, in
// characters, as yaml.v3 counts.
//
// Nodes are made left to right, so it counts on from where it counted to
// last on the same line: a long line costs its length once, not once per
// node.
func (p *parser) column(i, off int) int {
	l := p.lines[i]
	if l.ascii {
		return off + 1
	}
	if p.atLine != i || p.atOff > off {
		p.atLine, p.atOff, p.atCol = i, 0, 1
	}
	p.atCol += utf8.RuneCountInString(l.text[p.atOff:off])
	p.atOff = off
	return p.atCol
}

// blockMapping parses the block mapping whose keys start at column
// indent+1, from line p.next.
func (p *parser) blockMapping(indent int) (*yaml.Node, bool) {
	if !p.enter() {
		return nil, false
	}
	defer p.leave()
	m := p.node(yaml.MappingNode, p.next, indent)
	for p.next < len(p.lines) {
		i := p.next
		l := p.lines[i]
		if l.indent < indent {
			break
		}
		if l.indent > indent {
			return nil, false
		}
		k, off, ok := p.key(i, indent)
		if !ok {
			return nil, false
		}
		m.Content = append(m.Content, k)
		off = skipSpaces(l.text, off)
		if !atEnd(l.text, off) {
			v, end, ok := p.value(i, off, false)
			if !ok || !atEnd(l.text, skipSpaces(l.text, end)) || end < len(l.text) && l.text[end] != ' ' {
				return nil, false
			}
			m.Content = append(m.Content, v)
			p.next = p.skipBlank(i + 1)
			continue
		}
		// The value is the block below: a mapping indented further, or a
		// sequence indented as far or further.
		j := p.skipBlank(i + 1)
		if j == len(p.lines) {
			return nil, false
		}
		p.next = j
		var v *yaml.Node
		switch sub := p.lines[j]; {
		case sub.indent >= indent && isItem(sub.text, sub.indent):
			v, ok = p.blockSequence(sub.indent)
		case sub.indent > indent:
			v, ok = p.blockMapping(sub.indent)
		default:
			return nil, false
		}
		if !ok {
			return nil, false
		}
		m.Content = append(m.Content, v)
	}
	return m, len(m.Content) > 0
}

// blockSequence parses the block sequence whose "- " indicators are at
// column indent+1, from line p.next. Each item is a single-line value.
func (p *parser) blockSequence(indent int) (*yaml.Node, bool) {
	s := p.node(yaml.SequenceNode, p.next, indent)
	for p.next < len(p.lines) {
		i := p.next
		l := p.lines[i]
		if l.indent < indent || !isItem(l.text, l.indent) && l.indent == indent {
			break
		}
		if l.indent > indent {
			return nil, false
		}
		off := skipSpaces(l.text, indent+1)
		if atEnd(l.text, off) {
			return nil, false
		}
		v, end, ok := p.value(i, off, false)
		if !ok || !atEnd(l.text, skipSpaces(l.text, end)) || end < len(l.text) && l.text[end] != ' ' {
			return nil, false
		}
		s.Content = append(s.Content, v)
		p.next = p.skipBlank(i + 1)
	}
	return s, true
}

// isItem reports whether the text at indent is a block sequence's "- ".
func isItem(text string, indent int) bool {
	return indent < len(text) && text[indent] == '-' && (indent+1 == len(text) || text[indent+1] == ' ')
}

// maxKey is the longest key the subset has, in bytes: YAML allows an
// implicit key up to 1024 characters, ":" included.
const maxKey = 1000

// key parses the plain key at offset off of line i and its ":", and
// returns the offset after the colon.
func (p *parser) key(i, off int) (*yaml.Node, int, bool) {
	t := p.lines[i].text
	end := off
	for end < len(t) && t[end] != ':' {
		if t[end] == '#' && t[end-1] == ' ' {
			return nil, 0, false
		}
		end++
	}
	if end == len(t) || end+1 < len(t) && t[end+1] != ' ' {
		return nil, 0, false
	}
	v := strings.TrimRight(t[off:end], " ")
	if !plain(v, false) || end-off > maxKey {
		return nil, 0, false
	}
	k := p.node(yaml.ScalarNode, i, off)
	k.Value = v
	return k, end + 1, true
}

// value parses a single-line value at offset off of line i: a flow
// collection, a quoted scalar or a plain scalar; in a flow collection when
// flow is set. It returns the offset after it.
func (p *parser) value(i, off int, flow bool) (*yaml.Node, int, bool) {
	t := p.lines[i].text
	switch t[off] {
	case '[':
		return p.flowSequence(i, off)
	case '{':
		return p.flowMapping(i, off)
	case '\'':
		end := off + 1
		var b strings.Builder
		for {
			q := strings.IndexByte(t[end:], '\'')
			if q < 0 {
				return nil, 0, false
			}
			b.WriteString(t[end : end+q])
			end += q + 1
			if end < len(t) && t[end] == '\'' {
				b.WriteByte('\'')
				end++
				continue
			}
			break
		}
		n := p.node(yaml.ScalarNode, i, off)
		n.Style, n.Value = yaml.SingleQuotedStyle, b.String()
		return n, end, true
	case '"':
		q := strings.IndexByte(t[off+1:], '"')
		if q < 0 || strings.IndexByte(t[off+1:off+1+q], '\\') >= 0 {
			return nil, 0, false
		}
		n := p.node(yaml.ScalarNode, i, off)
		n.Style, n.Value = yaml.DoubleQuotedStyle, t[off+1:off+1+q]
		return n, off + 2 + q, true
	}
	end := off
	for end < len(t) {
		c := t[end]
		if c == '#' && t[end-1] == ' ' {
			break
		}
		if flow && (c == ',' || c == ']' || c == '}' || c == ':') {
			break
		}
		end++
	}
	v := strings.TrimRight(t[off:end], " ")
	if !plain(v, flow) {
		return nil, 0, false
	}
	n := p.node(yaml.ScalarNode, i, off)
	n.Value = v
	return n, off + len(v), true
}

// plain reports whether v, a plain scalar's text, is in the subset: not
// empty, not starting with an indicator, without ": " (which would make
// it a mapping) or a final ":", and in a flow collection without the
// characters that end a plain scalar there.
func plain(v string, flow bool) bool {
	if v == "" || strings.IndexByte("-?:,[]{}#&*!|>'\"%@`.<~ ", v[0]) >= 0 {
		return false
	}
	if flow {
		// yaml.v3 ends a plain scalar in a flow collection at any of these.
		return !strings.ContainsAny(v, ",[]{}:?")
	}
	return !strings.Contains(v, ": ") && v[len(v)-1] != ':'
}

// flowSequence parses "[a, b, ...]" at offset off of line i.
func (p *parser) flowSequence(i, off int) (*yaml.Node, int, bool) {
	return p.flow(yaml.SequenceNode, ']', i, off)
}

// flowMapping parses "{k: v, ...}" at offset off of line i.
func (p *parser) flowMapping(i, off int) (*yaml.Node, int, bool) {
	return p.flow(yaml.MappingNode, '}', i, off)
}

// flow parses a flow collection of kind, which close ends, at offset off of
// line i: entries separated by ", ", a mapping's as "key: value" with a
// plain key. It returns the offset after close.
func (p *parser) flow(kind yaml.Kind, close byte, i, off int) (*yaml.Node, int, bool) {
	if !p.enter() {
		return nil, 0, false
	}
	defer p.leave()
	t := p.lines[i].text
	n := p.node(kind, i, off)
	n.Style = yaml.FlowStyle
	pos := skipSpaces(t, off+1)
	if pos < len(t) && t[pos] == close {
		return n, pos + 1, true
	}
	for {
		if pos >= len(t) {
			return nil, 0, false
		}
		if kind == yaml.MappingNode {
			k, end, ok := p.value(i, pos, true)
			if !ok || k.Kind != yaml.ScalarNode || k.Style != 0 || end-pos > maxKey || end+1 >= len(t) || t[end] != ':' || t[end+1] != ' ' {
				return nil, 0, false
			}
			n.Content = append(n.Content, k)
			pos = skipSpaces(t, end+1)
			if pos >= len(t) || t[pos] == ',' || t[pos] == close {
				return nil, 0, false
			}
		}
		v, end, ok := p.value(i, pos, true)
		if !ok {
			return nil, 0, false
		}
		n.Content = append(n.Content, v)
		pos = skipSpaces(t, end)
		switch {
		case pos < len(t) && t[pos] == close:
			return n, pos + 1, true
		case pos < len(t) && t[pos] == ',':
			pos = skipSpaces(t, pos+1)
			if pos >= len(t) || t[pos] == close || t[pos] == ',' {
				return nil, 0, false
			}
		default:
			return nil, 0, false
		}
	}
}

func skipSpaces(t string, i int) int {
	for i < len(t) && t[i] == ' ' {
		i++
	}
	return i
}

// atEnd reports whether nothing but a comment follows offset i.
func atEnd(t string, i int) bool {
	return i >= len(t) || t[i] == '#' && (i == 0 || t[i-1] == ' ')
}
