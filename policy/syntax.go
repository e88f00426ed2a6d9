package policy

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Where YAML syntax errors are.
//
// yaml.v3 says where a syntax error is only as "line N" in its message, and
// that line is often not the error's: for a parser error it is the line,
// counted from 0, where the enclosing collection starts. It never gives a
// column. The loader therefore finds the position itself, on the error path
// only, from two facts: how far yaml.v3 had read the input when it failed
// (it reads through a one-byte reader, so it reads no more than it needs:
// the token it was scanning and four characters of lookahead), and the
// kind of error. None of this decides what is accepted: yaml.v3 alone does.

// lookahead is how many characters yaml.v3's scanner holds beyond the
// start of the token it is scanning.
const lookahead = 4

// textError reports the first character of src that yaml.v3's reader
// refuses, a NUL or other control character or a byte that is not UTF-8,
// and whether there is one.
func (l *loader) textError() bool {
	for off := 0; off < len(l.src); {
		r, size := utf8.DecodeRune(l.src[off:])
		switch {
		case r == utf8.RuneError && size <= 1:
			l.errorAt(l.offsetPos(off), "invalid UTF-8 (byte %#02x)", l.src[off])
			return true
		case r == 0:
			l.errorAt(l.offsetPos(off), "NUL byte: a policy is text")
			return true
		case !yamlPrintable(r):
			l.errorAt(l.offsetPos(off), "control character %U is not allowed", r)
			return true
		}
		off += size
	}
	return false
}

// readerError reports whether msg is one of the errors of yaml.v3's
// reader, which checks the characters of the input before it scans them.
func readerError(msg string) bool {
	return strings.Contains(msg, "UTF-8") || strings.Contains(msg, "control characters") ||
		strings.Contains(msg, "Unicode character")
}

// yamlPrintable reports whether yaml.v3's reader accepts r.
func yamlPrintable(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0x7e || r == 0x85 ||
		r >= 0xa0 && r <= 0xd7ff || r >= 0xe000 && r <= 0xfffd || r >= 0x10000 && r <= 0x10ffff
}

// byteReader hands out its input one byte per Read and counts the bytes
// read.
type byteReader struct {
	src []byte
	n   int
}

func (r *byteReader) Read(p []byte) (int, error) {
	if r.n >= len(r.src) {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	p[0] = r.src[r.n]
	r.n++
	return 1, nil
}

// failedAt parses src again, as parse does (at most two documents), and
// returns how many bytes yaml.v3 had read when it failed.
func (l *loader) failedAt() (n int) {
	r := &byteReader{src: l.src}
	defer func() {
		if recover() != nil {
			n = r.n
		}
	}()
	dec := yaml.NewDecoder(r)
	for range 2 {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			break
		}
	}
	return r.n
}

// back returns the offset n characters before off in src, or 0.
func (l *loader) back(off, n int) int {
	for ; n > 0 && off > 0; n-- {
		_, size := utf8.DecodeLastRune(l.src[:off])
		off -= size
	}
	return off
}

// flow scans src for the flow collections and quoted scalars that are not
// closed: it returns the offset of the innermost '[' or '{' still open at
// the end, of a quote that runs to the end, and of the first ']' or '}'
// that closes nothing, each -1 if none. It knows only what it needs to:
// comments, quotes and brackets that start a token.
func flow(src []byte) (open, quote, stray int) {
	var stack []int
	stray = -1
	for i := 0; i < len(src); i++ {
		c := src[i]
		tokenStart := i == 0 || strings.IndexByte(" \t\r\n[{,:", src[i-1]) >= 0
		switch {
		case c == '#' && tokenStart:
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case (c == '"' || c == '\'') && tokenStart:
			j := i + 1
			for ; j < len(src); j++ {
				if c == '"' && src[j] == '\\' {
					j++
				} else if src[j] == c {
					if c == '\'' && j+1 < len(src) && src[j+1] == '\'' {
						j++
						continue
					}
					break
				}
			}
			if j >= len(src) {
				return top(stack), i, stray
			}
			i = j
		case (c == '[' || c == '{') && tokenStart:
			stack = append(stack, i)
		case (c == ']' || c == '}') && len(stack) > 0:
			stack = stack[:len(stack)-1]
		case (c == ']' || c == '}') && stray < 0:
			stray = i
		}
	}
	return top(stack), -1, stray
}

func top(stack []int) int {
	if len(stack) == 0 {
		return -1
	}
	return stack[len(stack)-1]
}

// lineStartOff returns the offset of the start of the line holding off.
// (Here and in lineOffset, a line ends at "\n", "\r\n" or "\r", not at
// the rare NEL, LS and PS: a position is then on the right line or one
// before it, never outside the input.)
func (l *loader) lineStartOff(off int) int {
	return bytes.LastIndexAny(l.src[:off], "\r\n") + 1
}

// lineOffset returns the offset of the start of line n (from 1) of src,
// or of its last line.
func (l *loader) lineOffset(n int) int {
	off := 0
	for ; n > 1; n-- {
		i := bytes.IndexAny(l.src[off:], "\r\n")
		if i < 0 {
			break
		}
		off += i + 1
		if l.src[off-1] == '\r' && off < len(l.src) && l.src[off] == '\n' {
			off++
		}
	}
	return off
}

// syntaxError reports an error of the YAML parser at its position.
func (l *loader) syntaxError(err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := lineRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
	}
	if m := anchorRE.FindStringSubmatch(msg); m != nil {
		// "unknown anchor 'a' referenced", "anchor 'a' value contains
		// itself": point at the first use.
		sigil := "*"
		if strings.Contains(msg, "contains itself") {
			sigil = "&"
		}
		p := l.start()
		if i := indicator(l.src, sigil+m[1]); i >= 0 {
			p = l.offsetPos(i)
		}
		l.errorAt(p, "anchors and aliases are not allowed (%s)", msg)
		return
	}
	if line == 0 && readerError(msg) && l.textError() {
		return // the reader's errors carry no line
	}
	end := l.failedAt()
	at := l.back(end, lookahead)
	if end == len(l.src) && at > 0 && end-at < lookahead {
		at = end // the error is at the end of the input
	}
	switch {
	case strings.Contains(msg, "tab character"):
		// The tab is at or just after the start of the token.
		if i := bytes.IndexByte(l.src[at:end], '\t'); i >= 0 {
			at += i
		} else if i := bytes.LastIndexByte(l.src[:at], '\t'); i >= 0 {
			at = i
		}
		l.errorAt(l.offsetPos(at), "tab character in indentation: indent with spaces")
		return
	case strings.Contains(msg, "cannot start any token") && at < len(l.src) && l.src[at] == '\t':
		l.errorAt(l.offsetPos(at), "tab character in indentation: indent with spaces")
		return
	case strings.Contains(msg, "cannot start any token"):
		// The character is no blank.
		for at < end && l.src[at] == ' ' {
			at++
		}
	case strings.Contains(msg, "did not find expected alphabetic or numeric character"):
		// An anchor, alias or tag without a name: point at its indicator.
		if i := bytes.LastIndexAny(l.src[:end], "&*!"); i >= 0 {
			at = i
		}
	case strings.Contains(msg, "unknown escape character"):
		if i := bytes.LastIndexByte(l.src[:end], '\\'); i >= 0 {
			at = i
		}
	case strings.Contains(msg, "found unexpected end of stream"):
		if _, q, _ := flow(l.src); q >= 0 {
			l.errorAt(l.offsetPos(q), "quoted string is not closed")
			return
		}
	case strings.Contains(msg, "did not find expected ',' or"):
		if o, _, _ := flow(l.src); o >= 0 {
			kind := "sequence"
			if l.src[o] == '{' {
				kind = "mapping"
			}
			l.errorAt(l.offsetPos(o), "flow %s is not closed (did not find expected ',' or '%c')", kind, closer(l.src[o]))
			return
		}
	case strings.HasPrefix(msg, "could not find expected ':'") && line > 0:
		// A key yaml.v3 gave up on: it starts the line yaml.v3 names,
		// and is longer than 1024 characters or runs past the line.
		at = l.lineOffset(line)
		for at < len(l.src) && l.src[at] == ' ' {
			at++
		}
		msg += " (a key is on one line, and at most 1024 characters)"
	case strings.HasPrefix(msg, "did not find expected key"),
		strings.HasPrefix(msg, "did not find expected '-' indicator"),
		strings.HasPrefix(msg, "did not find expected node content"):
		if _, _, stray := flow(l.src); stray >= 0 && stray < end {
			l.errorAt(l.offsetPos(stray), "'%c' closes nothing", l.src[stray])
			return
		}
		// The token the parser did not expect begins a line that is
		// indented wrongly: point at its first character.
		if at > 0 && at == end && l.src[at-1] == '\n' {
			at--
		}
		at = l.lineStartOff(at)
		for at < len(l.src) && l.src[at] == ' ' {
			at++
		}
		msg += " (is this line indented correctly?)"
	}
	l.errorAt(l.offsetPos(at), "yaml syntax error: %s", msg)
}

func closer(open byte) byte {
	if open == '{' {
		return '}'
	}
	return ']'
}

// parseDocs parses src with a Decoder: one document, and no second one.
func (l *loader) parseDocs() *yaml.Node {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(l.src))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			l.errorAt(l.start(), "empty policy")
		} else {
			l.syntaxError(err)
		}
		return nil
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		l.syntaxError(err)
	default:
		l.errorf(&next, "a second YAML document is not allowed")
	}
	l.rejectAnchors(&doc)
	if len(doc.Content) != 1 {
		l.errorAt(l.start(), "empty policy")
		return nil
	}
	return doc.Content[0]
}
