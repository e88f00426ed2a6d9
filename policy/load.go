package policy

import (
	"fmt"
	"io"
	"os"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
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
