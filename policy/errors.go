package policy

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// Pos is a position in a policy file. Line and Col count from 1; the zero
// Pos means "no position".
type Pos struct {
	File string
	Line int
	Col  int
}

// IsZero reports whether p is the zero Pos.
func (p Pos) IsZero() bool { return p.Line == 0 }

// String returns "file:line:col", or "line:col" when File is empty.
func (p Pos) String() string {
	s := strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Col)
	if p.File == "" {
		return s
	}
	return p.File + ":" + s
}

func comparePos(a, b Pos) int {
	if c := cmp.Compare(a.File, b.File); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Line, b.Line); c != 0 {
		return c
	}
	return cmp.Compare(a.Col, b.Col)
}

// Error is one mistake in a policy file, at a position.
type Error struct {
	Pos Pos
	Msg string
}

// Error returns "policy: file:line:col: msg".
func (e *Error) Error() string { return "policy: " + e.Text() }

// Text returns "file:line:col: msg": the error without the package prefix,
// in the form editors, "grep -n"-style tools and CI annotations parse. A
// command that prints a policy's mistakes prints each one's Text.
func (e *Error) Text() string { return e.Pos.String() + ": " + e.Msg }

// MaxErrors is the number of mistakes after which Load stops, as the Go
// compiler does: the ErrorList then holds MaxErrors errors and a last one,
// "too many errors", at the position of the next mistake found.
const MaxErrors = 10

// tooMany is the Msg of the last Error of a list cut at MaxErrors.
const tooMany = "too many errors"

// ErrorList is every mistake found in a policy file, up to MaxErrors,
// sorted by file, line, column and message; when Load stopped early, its
// last Error says "too many errors". Load returns a non-empty ErrorList as
// its error.
type ErrorList []*Error

// Text returns the errors' Texts, one per line: what a command prints for
// a policy that does not load.
func (l ErrorList) Text() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Text())
	}
	return b.String()
}

// Error returns the errors' texts, one per line.
func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap returns the errors of l, so that errors.As finds an *Error.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// sort orders l by position, then message, and drops exact duplicates; a
// last "too many errors" stays last.
func (l ErrorList) sort() ErrorList {
	if n := len(l); n > 0 && l[n-1].Msg == tooMany {
		last := l[n-1]
		return append(l[:n-1].sort(), last)
	}
	slices.SortStableFunc(l, func(a, b *Error) int {
		if c := comparePos(a.Pos, b.Pos); c != 0 {
			return c
		}
		return cmp.Compare(a.Msg, b.Msg)
	})
	return slices.CompactFunc(l, func(a, b *Error) bool { return *a == *b })
}
