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
func (e *Error) Error() string { return "policy: " + e.Pos.String() + ": " + e.Msg }

// ErrorList is every mistake found in a policy file, sorted by file, line,
// column and message. Load returns a non-empty ErrorList as its error.
type ErrorList []*Error

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

// sort orders l by position, then message, and drops exact duplicates.
func (l ErrorList) sort() ErrorList {
	slices.SortStableFunc(l, func(a, b *Error) int {
		if c := comparePos(a.Pos, b.Pos); c != 0 {
			return c
		}
		return cmp.Compare(a.Msg, b.Msg)
	})
	return slices.CompactFunc(l, func(a, b *Error) bool { return *a == *b })
}
