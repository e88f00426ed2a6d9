package policy

import (
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/charterhq/charter/plan"
	"github.com/charterhq/charter/workspace"
	"gopkg.in/yaml.v3"
)

// This file reads the fields and scalars of a policy's YAML nodes: mappings
// with known keys, strings, booleans, integers, names, kinds, periods and
// limits, each with the error Load reports at its position.

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
		if near := Nearest(e.key, known); near != "" {
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
