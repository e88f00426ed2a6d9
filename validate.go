package charter

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/charterhq/charter/policy"
	"golang.org/x/text/unicode/norm"
)

// The gate. Every public Service method checks its input here, in one call at
// its top, before it touches a store or a cache, so every backend sees only
// input that passed the same rules and a caller gets the same typed error
// from memory, SQLite and PostgreSQL:
//
//   - the Service was made by New (a zero-value or nil *Service is an error,
//     not a panic);
//   - the context is not nil;
//   - every text argument is valid UTF-8, holds no control character (U+0000
//     to U+001F, U+007F to U+009F: NUL, tab and newline included) and is 1
//     to its kind's limit of bytes (an optional argument may be empty):
//     MaxIDBytes for actors, users, members, workspace and invitation IDs;
//     MaxNameBytes for workspace names; MaxEmailBytes for email addresses;
//     MaxProjectBytes for projects; MaxPolicyNameBytes for the names of
//     actions, roles, plans and currencies; MaxKeyBytes for idempotency keys;
//     MaxTokenBytes for invitation tokens; MaxLogoBytes for logos;
//     MaxPreferenceKeyBytes and MaxPreferenceValueBytes for preferences;
//   - a logo is "" (none) or an absolute http or https URL with a host,
//     without spaces or user credentials;
//   - a preference key holds only a-z, 0-9, '_', '.' and '-'; a call sets
//     at most MaxPreferences keys;
//   - an email address is also one bare address (net/mail, no display name)
//     in Unicode NFC (see canonicalEmail);
//   - an amount is 1 to MaxAmount (an allowance 0 to MaxAmount).
//
// A failure is an *InputError, which wraps ErrInvalid and quotes the input cut
// to QuoteBytes. The rules ask nothing of well-formed input that does not
// exist: an unknown action, workspace or user is for the call to answer (Can:
// a denial (false, nil)).

// Byte limits of the Service's text arguments. An argument over its limit is
// an *InputError.
const (
	MaxIDBytes         = 200 // actors, users, members, workspace and invitation IDs
	MaxNameBytes       = 200 // workspace names
	MaxEmailBytes      = 254 // email addresses (RFC 5321's longest path)
	MaxProjectBytes    = 200 // project names
	MaxPolicyNameBytes = 128 // names of actions, roles, plans and currencies, as a policy may write them
	MaxKeyBytes        = 200 // idempotency keys
	MaxTokenBytes      = 128 // invitation tokens (charter makes 43-byte ones)

	MaxLogoBytes            = 2048 // a workspace's logo URL
	MaxPreferenceKeyBytes   = 64   // a preference's key: 1 to 64 bytes of a-z, 0-9, '_', '.', '-'
	MaxPreferenceValueBytes = 1024 // a preference's value: 0 to 1,024 bytes
)

// MaxPreferences is how many preferences a workspace holds at most.
const MaxPreferences = 32

// MaxAmount is the largest amount of credits a call may move or allow: the
// largest integer a JSON number carries exactly (2^53 - 1), so that amounts
// survive every client.
const MaxAmount int64 = 1<<53 - 1

// QuoteBytes is how much of a caller's input an error quotes: longer input
// is cut to this many bytes (on a rune boundary) and marked with "…".
const QuoteBytes = 64

// InputError is the error of input that breaks the gate's rules (see
// MaxIDBytes and the package's "Bad input" section): errors.Is(err,
// ErrInvalid) is true, and errors.As finds the field at fault.
type InputError struct {
	Field  string // the argument: "context", "actor", "workspace", "email", ...
	Reason string // what is wrong with it, e.g. "contains a control character"
	Value  string // the input, cut to QuoteBytes bytes and marked "…" when cut
}

// Error names the field, the reason and the quoted input.
func (e *InputError) Error() string {
	if e.Field == "context" {
		return fmt.Sprintf("%v: context %s", ErrInvalid, e.Reason)
	}
	return fmt.Sprintf("%v: %s %s: %q", ErrInvalid, e.Field, e.Reason, e.Value)
}

// Unwrap returns ErrInvalid.
func (e *InputError) Unwrap() error { return ErrInvalid }

// errZeroService is what every method of a Service not made by New returns.
var errZeroService = fmt.Errorf("%w: the Service was not made by charter.New", ErrInvalid)

// short returns v cut to QuoteBytes bytes, on a rune boundary when v is
// valid UTF-8, followed by "…" when cut: the form in which errors quote a
// caller's input.
func short(v string) string {
	if len(v) <= QuoteBytes {
		return v
	}
	n := QuoteBytes
	for n > QuoteBytes-utf8.UTFMax && !utf8.RuneStart(v[n]) {
		n--
	}
	return v[:n] + "…"
}

// kind is a kind of text argument, with its byte limit.
type kind uint8

const (
	kindID kind = iota
	kindName
	kindEmail
	kindProject
	kindPolicyName
	kindKey
	kindToken
	kindLogo
	kindPrefKey
	kindPrefValue
	kindAmount    // 1..MaxAmount
	kindAllowance // 0..MaxAmount
)

var maxBytes = [...]int{
	kindID:         MaxIDBytes,
	kindName:       MaxNameBytes,
	kindEmail:      MaxEmailBytes,
	kindProject:    MaxProjectBytes,
	kindPolicyName: MaxPolicyNameBytes,
	kindKey:        MaxKeyBytes,
	kindToken:      MaxTokenBytes,
	kindLogo:       MaxLogoBytes,
	kindPrefKey:    MaxPreferenceKeyBytes,
	kindPrefValue:  MaxPreferenceValueBytes,
}

// arg is one argument for the gate.
type arg struct {
	field    string
	kind     kind
	optional bool // may be empty
	text     string
	n        int64
}

func isID(field, v string) arg           { return arg{field: field, kind: kindID, text: v} }
func isName(field, v string) arg         { return arg{field: field, kind: kindName, text: v} }
func isEmail(v string) arg               { return arg{field: "email", kind: kindEmail, text: v} }
func isProject(v string) arg             { return arg{field: "project", kind: kindProject, text: v} }
func isPolicyName(field, v string) arg   { return arg{field: field, kind: kindPolicyName, text: v} }
func isKey(v string) arg                 { return arg{field: "idempotency key", kind: kindKey, text: v} }
func isRequest(v string) arg             { return arg{field: "request", kind: kindKey, text: v, optional: true} }
func isToken(v string) arg               { return arg{field: "token", kind: kindToken, text: v} }
func isAmount(field string, n int64) arg { return arg{field: field, kind: kindAmount, n: n} }
func isAllowance(n int64) arg            { return arg{field: "allowance", kind: kindAllowance, n: n} }
func isLogo(v string) arg                { return arg{field: "logo", kind: kindLogo, text: v, optional: true} }
func isPrefKey(v string) arg             { return arg{field: "preference key", kind: kindPrefKey, text: v} }
func isPrefValue(v string) arg {
	return arg{field: "preference value", kind: kindPrefValue, text: v, optional: true}
}

// orEmpty makes a optional: the empty string passes.
func (a arg) orEmpty() arg { a.optional = true; return a }

// check is the gate: it returns an error unless s was made by New, ctx is
// not nil and every argument keeps its rules. Every public method calls it
// first.
func (s *Service) check(ctx context.Context, args ...arg) error {
	if s == nil || s.store == nil || s.policy == nil {
		return errZeroService
	}
	if ctx == nil {
		return &InputError{Field: "context", Reason: "is nil"}
	}
	for i := range args {
		if err := args[i].check(); err != nil {
			return err
		}
	}
	return nil
}

// checkDecide is check of the arguments of Decide, Can and CanProject, with
// a fast path: when every argument is plain (printable ASCII within its
// limit), which every rule passes, it builds no argument list. Anything
// else goes to check, which passes or refuses it by the full rules, so the
// fast path changes no answer.
func (s *Service) checkDecide(ctx context.Context, actor, action, id, project string) error {
	if s.ready(ctx) &&
		plain(actor, MaxIDBytes) && plain(action, MaxPolicyNameBytes) && plain(id, MaxIDBytes) &&
		(project == "" || plain(project, MaxProjectBytes)) {
		return nil
	}
	return s.check(ctx, isID("actor", actor), isPolicyName("action", action), isID("workspace", id), isProject(project).orEmpty())
}

// checkSpend is check of the arguments of SpendWith, with checkDecide's
// fast path: when every argument is plain, it builds no argument list.
func (s *Service) checkSpend(ctx context.Context, actor, action, id, key string, o SpendOptions) error {
	if s.ready(ctx) &&
		plain(actor, MaxIDBytes) && plain(action, MaxPolicyNameBytes) && plain(id, MaxIDBytes) && plain(key, MaxKeyBytes) &&
		(o.Project == "" || plain(o.Project, MaxProjectBytes)) && (o.Request == "" || plain(o.Request, MaxKeyBytes)) {
		return nil
	}
	return s.check(ctx, isID("actor", actor), isPolicyName("action", action), isID("workspace", id), isKey(key), isProject(o.Project).orEmpty(), isRequest(o.Request))
}

// ready reports whether s was made by New and ctx is not nil: what the gate
// checks before the arguments.
func (s *Service) ready(ctx context.Context) bool {
	return s != nil && s.store != nil && s.policy != nil && ctx != nil
}

// plain reports whether v is 1 to limit bytes of printable ASCII (0x20 to
// 0x7E): text that textRule passes. It tests eight bytes at a time (a
// spend's four texts are some 60 bytes), a text shorter than that as one
// word of its bytes.
func plain(v string, limit int) bool {
	if len(v) == 0 || len(v) > limit {
		return false
	}
	switch n := len(v); {
	case n < 4:
		// Its bytes, padded with spaces (which pass) to a word.
		return plainWord(uint64(v[0]) | uint64(v[n/2])<<8 | uint64(v[n-1])<<16 | 0x2020202020<<24)
	case n < 8:
		// Two reads of four bytes, which may overlap, cover it.
		return plainWord(uint64(binary.LittleEndian.Uint32([]byte(v[:4]))) | uint64(binary.LittleEndian.Uint32([]byte(v[n-4:])))<<32)
	}
	// Words from the start, and the last eight bytes as one more, which
	// may overlap the word before.
	for i := 0; i+8 <= len(v); i += 8 {
		if !plainWord(binary.LittleEndian.Uint64([]byte(v[i : i+8]))) {
			return false
		}
	}
	return plainWord(binary.LittleEndian.Uint64([]byte(v[len(v)-8:])))
}

// plainWord reports whether each of the eight bytes of x is printable
// ASCII (0x20 to 0x7E).
func plainWord(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	// A byte of 0x7F or more: its high bit is set, or adding one sets it.
	// When no byte has its high bit set, no byte carries into the next.
	if (x|(x+ones))&highs != 0 {
		return false
	}
	// Now every byte is below 0x80: one below 0x20 borrows into its high
	// bit when 0x20 is taken from it, and the lowest such byte is found
	// exactly (a borrow only passes up from a byte that is itself below).
	return (x-0x20*ones)&^x&highs == 0
}

func (a *arg) check() error {
	switch a.kind {
	case kindAmount, kindAllowance:
		low := int64(1)
		if a.kind == kindAllowance {
			low = 0
		}
		if a.n < low || a.n > MaxAmount {
			return &InputError{Field: a.field, Reason: fmt.Sprintf("is outside %d..%d", low, MaxAmount), Value: fmt.Sprint(a.n)}
		}
		return nil
	}
	if a.text == "" {
		if a.optional {
			return nil
		}
		return &InputError{Field: a.field, Reason: "is empty"}
	}
	if reason := textRule(a.text, maxBytes[a.kind]); reason != "" {
		return &InputError{Field: a.field, Reason: reason, Value: short(a.text)}
	}
	reason := ""
	switch a.kind {
	case kindEmail:
		if _, err := canonicalEmail(a.text); err != nil {
			return err
		}
	case kindLogo:
		reason = logoRule(a.text)
	case kindPrefKey:
		reason = prefKeyRule(a.text)
	}
	if reason != "" {
		return &InputError{Field: a.field, Reason: reason, Value: short(a.text)}
	}
	return nil
}

// logoRule returns what is wrong with v, a logo that passed textRule, or "".
func logoRule(v string) string {
	if strings.ContainsAny(v, " \u00a0") {
		return "contains a space"
	}
	u, err := url.Parse(v)
	switch {
	case err != nil:
		return "is not a URL"
	case u.Scheme != "https" && u.Scheme != "http":
		return "is not an absolute http or https URL"
	case u.Host == "" || u.Hostname() == "":
		return "has no host"
	case u.User != nil:
		return "carries user credentials"
	}
	return ""
}

// prefKeyRule returns what is wrong with k, a preference key that passed
// textRule, or "".
func prefKeyRule(k string) string {
	for i := 0; i < len(k); i++ {
		if c := k[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-') {
			return "holds a character outside a-z, 0-9, '_', '.' and '-'"
		}
	}
	return ""
}

// preferenceArgs are the gate's arguments of a change of preferences: the
// keys and values of set, by key, and the keys of unset. A call that sets
// more than MaxPreferences keys, or names a key in both, is refused.
func preferenceArgs(set map[string]string, unset []string) ([]arg, error) {
	if len(set) > MaxPreferences {
		return nil, &InputError{Field: "preferences", Reason: fmt.Sprintf("sets more than %d keys", MaxPreferences), Value: fmt.Sprint(len(set))}
	}
	if len(set)+len(unset) == 0 {
		return nil, nil
	}
	args := make([]arg, 0, 2*len(set)+len(unset))
	for _, k := range slices.Sorted(maps.Keys(set)) {
		args = append(args, isPrefKey(k), isPrefValue(set[k]))
	}
	for _, k := range unset {
		if _, ok := set[k]; ok {
			return nil, &InputError{Field: "preference key", Reason: "is both set and unset", Value: short(k)}
		}
		args = append(args, isPrefKey(k))
	}
	return args, nil
}

// textRule returns what is wrong with v, a non-empty argument of at most
// limit bytes, or "".
func textRule(v string, limit int) string {
	if len(v) > limit {
		return fmt.Sprintf("is longer than %d bytes (%d)", limit, len(v))
	}
	for i := 0; i < len(v); {
		c := v[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return "contains a control character"
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(v[i:])
		if r == utf8.RuneError && size == 1 {
			return "is not valid UTF-8"
		}
		if r <= 0x9f {
			return "contains a control character"
		}
		i += size
	}
	return ""
}

// canonicalEmail returns the form in which charter keeps and compares an
// email address, or an *InputError. The rule, which no Unicode case folding
// can fool:
//
//   - the address is one bare address as net/mail parses it (no display
//     name; angle brackets are dropped) and passes the text rules;
//   - it must already be in Unicode NFC: an address that normalization would
//     change (the Kelvin sign U+212A, which NFC makes "K", the Ohm sign, a
//     decomposed accent) is refused, so no two different strings reach the
//     comparison as one;
//   - ASCII letters A-Z compare case-insensitively (they are kept lowered);
//     every other byte compares exactly: "ſam@" (U+017F, long s) is not
//     "sam@", "Élise@" is not "élise@".
func canonicalEmail(email string) (string, error) {
	bad := func(reason string) error {
		return &InputError{Field: "email", Reason: reason, Value: short(email)}
	}
	if reason := textRule(email, MaxEmailBytes); reason != "" {
		return "", bad(reason)
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Name != "" {
		return "", bad("is not one bare email address")
	}
	if !norm.NFC.IsNormalString(addr.Address) {
		return "", bad("is not in Unicode NFC")
	}
	b := []byte(addr.Address)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b), nil
}

// refused is Decide's denial of input the gate refused with err: an invalid
// action is an unknown one, an invalid workspace none, and anything else
// leaves the actor a member of nothing.
func refused(err error) Decision {
	d := policy.Decision{Reason: policy.NotMember}
	var e *InputError
	if errors.As(err, &e) {
		switch e.Field {
		case "action":
			d = policy.Decision{Reason: policy.UnknownAction, Detail: e.Value}
		case "workspace":
			d.Reason = policy.NoWorkspace
		}
	}
	return Decision{Decision: d}
}
