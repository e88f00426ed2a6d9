package policy

import (
	"bytes"
	"regexp"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// This file runs yaml.v3 on a policy's text and refuses what charter does
// not accept before decoding: more than one document, anchors and aliases.

// parse parses src as exactly one YAML document without anchors or aliases
// and returns its root node, or nil after reporting why it cannot.
func (l *loader) parse() (root *yaml.Node) {
	defer func() {
		// yaml.v3 reports errors by panicking and recovering; anything
		// that escapes is a parser bug, which must not crash the caller.
		if r := recover(); r != nil {
			if _, ok := r.(bailout); ok {
				panic(r)
			}
			l.errorAt(l.start(), "yaml parser failed: %v", r)
			root = nil
		}
	}()
	var doc yaml.Node
	root, err := single(l.src, &doc)
	switch {
	case err != nil:
		l.syntaxError(err)
		return nil
	case root != nil:
		l.rejectAnchors(&doc)
		return root
	}
	return l.parseDocs()
}

// single is the fast path of parse, for the common policy: one document
// whose root is a block mapping starting at column 1, without document
// markers. yaml.Unmarshal, which reads the bytes in place, parses it about
// 15% faster than a Decoder reading them in chunks, but it stops after the
// first document without looking further. Such a root ends only where a
// document marker or the input does, so nothing is left unread; for any
// other input, single returns nil and parse takes the Decoder's slower,
// exact path. Without a document marker there is one document, so a syntax
// error single returns is the Decoder's too. FuzzSingleDocument holds the
// two paths to the same answer.
func single(src []byte, doc *yaml.Node) (*yaml.Node, error) {
	if hasDocumentMarker(src) {
		return nil, nil
	}
	if err := yaml.Unmarshal(src, doc); err != nil {
		return nil, err
	}
	if len(doc.Content) != 1 {
		return nil, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode || root.Style&yaml.FlowStyle != 0 || root.Column != 1 {
		return nil, nil
	}
	return root, nil
}

// hasDocumentMarker reports whether "---", "..." or a directive's "%"
// starts a line of src, as a second document needs. It errs on the side of
// yes: any line break YAML knows counts (\n, \r, NEL, LS, PS), as does a
// byte order mark, and whatever follows the marker.
func hasDocumentMarker(src []byte) bool {
	for _, m := range [...]string{"---", "...", "%"} {
		for i, rest := 0, src; ; {
			j := bytes.Index(rest, []byte(m))
			if j < 0 {
				break
			}
			i += j
			if lineStart(src[:i]) {
				return true
			}
			i++
			rest = src[i:]
		}
	}
	return false
}

// lineStart reports whether what follows before starts a line.
func lineStart(before []byte) bool {
	if len(before) == 0 {
		return true
	}
	switch before[len(before)-1] {
	case '\n', '\r':
		return true
	}
	for _, brk := range [...]string{"\u0085", "\u2028", "\u2029", "\ufeff"} {
		if bytes.HasSuffix(before, []byte(brk)) {
			return true
		}
	}
	return false
}

var (
	lineRE   = regexp.MustCompile(`^line (\d+): `)
	anchorRE = regexp.MustCompile(`anchor '([^']*)'`)
)

// indicator returns the offset of the first use of an anchor or alias tok
// ("&a" or "*a") in src, or -1: an occurrence that starts a token (after a
// line start, blank or flow indicator), ends one (before a blank, flow
// indicator or line end), and is not in a comment. Quoted scalars may still
// fool it; the position is a hint for a document the parser refused anyway.
func indicator(src []byte, tok string) int {
	for off := 0; ; {
		j := bytes.Index(src[off:], []byte(tok))
		if j < 0 {
			return -1
		}
		i := off + j
		off = i + 1
		line := src[bytes.LastIndexByte(src[:i], '\n')+1 : i]
		if len(line) > 0 && !strings.ContainsRune(" \t[{,:", rune(line[len(line)-1])) {
			continue
		}
		if k := bytes.IndexByte(line, '#'); k == 0 || k > 0 && (line[k-1] == ' ' || line[k-1] == '\t') {
			continue // in a comment
		}
		if end := i + len(tok); end < len(src) && !strings.ContainsRune(" \t\r\n]},", rune(src[end])) {
			continue
		}
		return i
	}
}

// offsetPos returns the position of byte offset off in the source, counted
// as yaml.v3 counts: a line ends at "\r\n", "\n", "\r", NEL, LS or PS,
// and a column is a character.
func (l *loader) offsetPos(off int) Pos {
	line, col := 1, 1
	for i := 0; i < off; {
		r, size := utf8.DecodeRune(l.src[i:])
		switch r {
		case '\r':
			if i+1 < off && l.src[i+1] == '\n' {
				size++
			}
			fallthrough
		case '\n', '\u0085', '\u2028', '\u2029':
			line, col = line+1, 1
		default:
			col++
		}
		i += size
	}
	return Pos{File: l.file, Line: line, Col: col}
}

// rejectAnchors reports every anchor and alias in the tree of n. Rejecting
// them outright rules out alias bombs (exponential expansion) and keeps a
// policy readable top to bottom.
func (l *loader) rejectAnchors(n *yaml.Node) {
	if !bytes.ContainsAny(l.src, "&*") {
		return // an anchor needs a '&' and an alias a '*': there are none
	}
	// Depth first, in the file's order, so that the first MaxErrors
	// reported are the first in the file.
	stack := []*yaml.Node{n}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n.Kind == yaml.AliasNode {
			l.errorf(n, "anchors and aliases are not allowed (found alias %s)", quoteInput("*"+n.Value))
			continue
		}
		if n.Anchor != "" {
			l.errorf(n, "anchors and aliases are not allowed (found anchor %s)", quoteInput("&"+n.Anchor))
		}
		for i := len(n.Content) - 1; i >= 0; i-- {
			stack = append(stack, n.Content[i])
		}
	}
}
