package policy

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/charterhq/charter/plan"
	"github.com/charterhq/charter/workspace"
)

// DefaultMaxSize is the largest policy file Load accepts unless told
// otherwise by MaxSize: 1 MiB.
const DefaultMaxSize = 1 << 20

// An Option changes how Load reads a policy.
type Option func(*options)

type options struct {
	maxSize int
}

// MaxSize sets the largest policy, in bytes, that Load accepts; larger input
// is an error before any parsing. n <= 0 means DefaultMaxSize.
func MaxSize(n int) Option {
	return func(o *options) {
		if n <= 0 {
			n = DefaultMaxSize
		}
		o.maxSize = n
	}
}

// LoadFile reads and compiles the policy file at path. See Load.
func LoadFile(path string, opts ...Option) (*Policy, error) {
	o := newOptions(opts)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	defer f.Close()
	src, err := io.ReadAll(io.LimitReader(f, int64(o.maxSize)+1))
	if err != nil {
		return nil, fmt.Errorf("policy: %s: %w", path, err)
	}
	return Load(path, src, opts...)
}

func newOptions(opts []Option) options {
	o := options{maxSize: DefaultMaxSize}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// Load compiles the policy in src, read from file; file is used only in
// positions. The policy must be one YAML document of the grammar given in
// the package documentation. On any mistake Load returns a nil *Policy and
// an ErrorList holding the mistakes found, sorted by position; it stops
// after MaxErrors of them.
func Load(file string, src []byte, opts ...Option) (p *Policy, err error) {
	o := newOptions(opts)
	l := &loader{file: file, src: src}
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(bailout); !ok {
				panic(r)
			}
			p, err = nil, l.errs.sort()
		}
	}()
	if len(src) > o.maxSize {
		l.errorAt(l.offsetPos(o.maxSize), "policy is larger than the size limit of %d bytes, which it passes here", o.maxSize)
		return nil, l.errs
	}
	if !utf8.Valid(src) {
		// yaml.v3 would read UTF-16 too; a policy is UTF-8.
		l.textError()
		return nil, l.errs
	}
	if root := l.parse(); root != nil {
		p := l.compile(l.decode(root))
		if len(l.errs) == 0 {
			return p, nil
		}
	}
	return nil, l.errs.sort()
}

// loader collects the errors of one Load.
type loader struct {
	file string
	src  []byte
	errs ErrorList
	// misspelt holds the fields, as context NUL field, that an unknown
	// key was reported as a misspelling of ("did you mean"), so that the
	// field is not reported missing as well: one mistake, one message.
	misspelt map[string]bool
	// rejected holds the names, as kind NUL name, whose declaration was
	// reported, so that a use of them is not reported again as unknown;
	// and, as NUL name, the invalid names already reported.
	rejected map[string]bool
	// unsure is set when a field is reported misspelt (an unknown key
	// near a known field that is absent) or its value wrong; decode reads
	// it per declaration (see rawRole.suspect).
	unsure bool
	// raw is the policy being compiled, for "did you mean".
	raw *rawPolicy
}

// reject records that the declaration of name as kind was reported.
func (l *loader) reject(kind, name string) {
	if l.rejected == nil {
		l.rejected = make(map[string]bool)
	}
	l.rejected[kind+"\x00"+name] = true
}

// bailout is the panic that stops a Load after MaxErrors errors; Load
// recovers it.
type bailout struct{}

func (l *loader) start() Pos { return Pos{File: l.file, Line: 1, Col: 1} }

func (l *loader) pos(n *yaml.Node) Pos { return Pos{File: l.file, Line: n.Line, Col: n.Column} }

// errorAt records an error at p. The error after MaxErrors becomes "too
// many errors", and the Load stops.
func (l *loader) errorAt(p Pos, format string, args ...any) {
	if len(l.errs) == MaxErrors {
		l.errs = append(l.errs, &Error{Pos: p, Msg: tooMany})
		panic(bailout{})
	}
	l.errs = append(l.errs, &Error{Pos: p, Msg: fmt.Sprintf(format, args...)})
}

func (l *loader) errorf(n *yaml.Node, format string, args ...any) {
	l.errorAt(l.pos(n), format, args...)
}

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

// describe names the kind of n and quotes a scalar, for "got ..." in errors.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a sequence"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "null"
		}
		return quoteInput(n.Value)
	}
	return "nothing"
}

// maxQuote is the most bytes of a string from the input that an error
// message quotes.
const maxQuote = 64

// quoteInput quotes s, a string from the input, for an error message: cut
// to maxQuote bytes, at a character boundary, and "..." after the quote
// when cut.
func quoteInput(s string) string {
	if len(s) <= maxQuote {
		return strconv.Quote(s)
	}
	cut := maxQuote
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "..."
}

// label prefixes field with its context for messages: `role "x": rank`.
func label(ctx, field string) string {
	if field == "" {
		return ctx
	}
	if ctx == "" {
		return field
	}
	return ctx + ": " + field
}

// entry is one key: value pair of a mapping.
type entry struct {
	key  string
	k, v *yaml.Node
}

// mapping returns the entries of n, which must be a mapping with string
// keys, each appearing once.
func (l *loader) mapping(n *yaml.Node, what string) ([]entry, bool) {
	if n.Kind == yaml.AliasNode {
		return nil, false // reported by rejectAnchors
	}
	if n.Kind != yaml.MappingNode {
		l.unsure = true
		l.errorf(n, "%s must be a mapping, got %s", what, describe(n))
		return nil, false
	}
	entries := make([]entry, 0, len(n.Content)/2)
	seen := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.AliasNode {
			continue
		}
		if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
			l.errorf(k, "%s: key must be a string, got %s", what, describe(k))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			l.errorf(k, "duplicate key %s (first at %s)", quoteInput(k.Value), l.pos(first))
			continue
		}
		seen[k.Value] = k
		entries = append(entries, entry{k.Value, k, v})
	}
	return entries, true
}

// fields returns the entries of the mapping n by key, reporting keys not
// in known.
func (l *loader) fields(n *yaml.Node, ctx, what string, known ...string) (map[string]entry, bool) {
	entries, ok := l.mapping(n, label(ctx, what))
	if !ok {
		return nil, false
	}
	f := make(map[string]entry, len(entries))
	var unknown []entry
	for _, e := range entries {
		if slices.Contains(known, e.key) {
			f[e.key] = e
		} else {
			unknown = append(unknown, e)
		}
	}
	for _, e := range unknown {
		// A misspelt field is one mistake: it is not also missing.
		hint := didYouMean(e.key, known)
		if near := nearest(e.key, known); near != "" {
			if _, has := f[near]; !has {
				l.misspell(ctx, near)
				l.unsure = true
			}
		}
		l.errorf(e.k, "%s%s", label(ctx, "unknown field "+quoteInput(e.key)), hint)
	}
	return f, true
}

// misspell records that field of ctx was written wrongly, and reported.
func (l *loader) misspell(ctx, field string) {
	if l.misspelt == nil {
		l.misspelt = make(map[string]bool)
	}
	l.misspelt[ctx+"\x00"+field] = true
}

func (l *loader) str(n *yaml.Node, what string) (string, bool) {
	if n.Kind == yaml.AliasNode {
		return "", false
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		l.unsure = true
		l.errorf(n, "%s must be a string, got %s", what, describe(n))
		return "", false
	}
	return n.Value, true
}

func (l *loader) boolean(n *yaml.Node, what string) bool {
	if n.Kind == yaml.AliasNode {
		return false
	}
	var b bool
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
		l.unsure = true
		l.errorf(n, "%s must be true or false, got %s", what, describe(n))
		return false
	}
	return b
}

// integer decodes n as an integer in [lo, hi].
func (l *loader) integer(n *yaml.Node, what string, lo, hi int64) (int64, bool) {
	if n.Kind == yaml.AliasNode {
		return 0, false
	}
	var v int64
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&v) != nil {
		l.unsure = true
		l.errorf(n, "%s must be an integer, got %s", what, describe(n))
		return 0, false
	}
	if v < lo || v > hi {
		l.unsure = true
		if v < lo && (hi == math.MaxInt32 || hi == math.MaxInt64) {
			l.errorf(n, "%s must be at least %d, got %s", what, lo, describe(n))
		} else {
			l.errorf(n, "%s must be between %d and %d, got %s", what, lo, hi, describe(n))
		}
		return 0, false
	}
	return v, true
}

// validName reports whether s may name a role, action, plan, feature,
// currency or the policy: a letter, then letters, digits, '_', '-' or '.'.
// maxName is the longest name a policy may give a role, action, plan,
// feature or currency, in bytes.
const maxName = 128

func validName(s string) bool {
	if s == "" || len(s) > maxName {
		return false
	}
	for i, c := range s {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '_' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}

// ref is a name with the line and column it was written at (see
// loader.at): 24 bytes, as a policy holds one for every cell of its
// permission table.
type ref struct {
	name      string
	line, col int32
}

// at returns the position of r.
func (l *loader) at(r ref) Pos { return Pos{File: l.file, Line: int(r.line), Col: int(r.col)} }

func (l *loader) name(n *yaml.Node, what string) (ref, bool) {
	s, ok := l.str(n, what)
	if !ok {
		return ref{}, false
	}
	if len(s) > maxName {
		l.errorf(n, "%s: name of %d bytes: at most %d", what, len(s), maxName)
		return ref{}, false
	}
	if !validName(s) {
		if !l.rejected["\x00"+s] { // one message for one invalid name
			l.reject("", s)
			l.errorf(n, "%s: invalid name %q: want a letter, then letters, digits, '_', '-' or '.'", what, s)
		}
		return ref{}, false
	}
	return ref{s, int32(n.Line), int32(n.Column)}, true
}

// fnv8 hashes s to 8 bits (FNV-1a, folded).
func fnv8(s string) uint8 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return uint8(h ^ h>>8 ^ h>>16 ^ h>>24)
}

// names decodes a sequence of distinct names.
func (l *loader) names(n *yaml.Node, what string) []ref {
	if n.Kind == yaml.AliasNode {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		l.unsure = true
		l.errorf(n, "%s must be a sequence, got %s", what, describe(n))
		return nil
	}
	refs := make([]ref, 0, min(len(n.Content), 64))
	// Up to 64 names (any valid list of roles or features), a 256-bit
	// filter of the names' hashes: only a name whose bit is set already
	// may be a duplicate, and only then are the earlier names scanned.
	// Longer lists, valid or not, use a set, so a list is linear however
	// long the input.
	var filter [4]uint64
	var seen map[string]int
	if len(n.Content) > 64 {
		seen = make(map[string]int)
	}
	for _, c := range n.Content {
		r, ok := l.name(c, what)
		if !ok {
			continue
		}
		first := -1
		if seen != nil {
			if i, dup := seen[r.name]; dup {
				first = i
			}
		} else if h := fnv8(r.name); filter[h>>6]&(1<<(h&63)) != 0 {
			first = slices.IndexFunc(refs, func(p ref) bool { return p.name == r.name })
		} else {
			filter[h>>6] |= 1 << (h & 63)
		}
		if first >= 0 {
			l.errorf(c, "%s: %q listed twice (first at %s)", what, r.name, l.at(refs[first]))
			continue
		}
		if seen != nil {
			seen[r.name] = len(refs)
		}
		refs = append(refs, r)
	}
	return refs
}

func (l *loader) kinds(n *yaml.Node, what string) (KindSet, bool) {
	if n.Kind != yaml.SequenceNode {
		if n.Kind != yaml.AliasNode {
			l.errorf(n, "%s must be a sequence, got %s", what, describe(n))
		}
		return 0, false
	}
	var ks KindSet
	ok := true
	for _, c := range n.Content {
		s, sok := l.str(c, what)
		if !sok {
			ok = false
			continue
		}
		k, err := workspace.ParseKind(s)
		if err != nil {
			l.unsure = true
			l.errorf(c, "%s: unknown workspace kind %s (want personal or shared)", what, quoteInput(s))
			ok = false
			continue
		}
		if ks.Has(k) {
			l.errorf(c, "%s: %q listed twice", what, s)
			continue
		}
		ks = ks.With(k)
	}
	if ok && ks == 0 {
		l.errorf(n, "%s must name at least one workspace kind", what)
		return 0, false
	}
	return ks, ok
}

func (l *loader) period(n *yaml.Node, what string) (plan.Period, bool) {
	s, ok := l.str(n, what)
	if !ok {
		return plan.Period{}, false
	}
	p, err := plan.ParsePeriod(s)
	if err != nil {
		l.errorf(n, "%s: invalid period %s: want \"[N] day|week|month|year[s]\", N from 1 to 1000", what, quoteInput(s))
		return plan.Period{}, false
	}
	return p, true
}

func (l *loader) limit(n *yaml.Node, what string) (plan.Limit, bool) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
		if n.Value == "unlimited" {
			return plan.Unlimited, true
		}
		l.errorf(n, "%s must be an integer >= 0 or \"unlimited\", got %s", what, describe(n))
		return 0, false
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!int" {
		v, ok := l.integer(n, what, 0, math.MaxInt32)
		return plan.Limit(v), ok
	}
	if n.Kind != yaml.AliasNode {
		l.errorf(n, "%s must be an integer >= 0 or \"unlimited\", got %s", what, describe(n))
	}
	return 0, false
}

func (l *loader) required(f map[string]entry, at *yaml.Node, ctx string, keys ...string) bool {
	ok := true
	for _, k := range keys {
		if _, has := f[k]; !has {
			ok = false
			if l.misspelt[ctx+"\x00"+k] {
				continue // reported as an unknown field
			}
			if ctx == "" {
				l.errorf(at, "missing required field %q", k)
			} else {
				l.errorf(at, "%s: missing required field %q", ctx, k)
			}
		}
	}
	return ok
}
