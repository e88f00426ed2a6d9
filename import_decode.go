package charter

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"unicode/utf8"
)

// This file decodes an import record. encoding/json is the definition: a
// hand-written scanner reads the common shape of a record (exact field
// names, each once; strings without escapes; integer amounts; no nulls, no
// expiry times) and hands anything else to encoding/json, so a record
// decodes to the same value, and a bad one fails with the same error,
// either way (FuzzImportDecode holds the two to that).

// importDecoder decodes records, keeping what one line can lend the next:
// the role names it has seen, so that a member's role allocates no string.
type importDecoder struct {
	roles []string
	// members is where a record's members are read, to be copied into
	// a list of their number.
	members []ImportMember
}

// decode decodes one line into rec. more reports a line that held a
// record and then something else (an error when err is nil).
func (d *importDecoder) decode(text []byte, rec *ImportRecord) (more bool, err error) {
	sc := importScanner{b: text, d: d}
	if sc.record(rec) {
		return false, nil
	}
	*rec = ImportRecord{}
	return decodeImportJSON(text, rec)
}

// decodeImportJSON is the definition of a record: encoding/json, with
// unknown fields an error.
func decodeImportJSON(text []byte, rec *ImportRecord) (more bool, err error) {
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(rec); err != nil {
		return false, err
	}
	return dec.More(), nil
}

// intern returns b as a string, one already made when a role of that name
// was seen.
func (d *importDecoder) intern(b []byte) string {
	for _, s := range d.roles {
		if s == string(b) {
			return s
		}
	}
	s := string(b)
	if len(d.roles) < 16 {
		d.roles = append(d.roles, s)
	}
	return s
}

// importScanner reads one line by the fast path. Each method reports false
// on anything it does not handle, which need not be an error: the line
// then goes to encoding/json.
type importScanner struct {
	b []byte
	i int
	d *importDecoder
}

// skip passes JSON whitespace.
func (s *importScanner) skip() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// next consumes c, after whitespace, if it comes next.
func (s *importScanner) next(c byte) bool {
	s.skip()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// raw reads a string without escapes, control characters or invalid
// UTF-8 (whose decoding encoding/json alters) and returns its bytes.
func (s *importScanner) raw() ([]byte, bool) {
	if !s.next('"') {
		return nil, false
	}
	start, ascii := s.i, true
	for ; s.i < len(s.b); s.i++ {
		switch c := s.b[s.i]; {
		case c == '"':
			v := s.b[start:s.i]
			s.i++
			return v, ascii || utf8.Valid(v)
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, false
}

// str reads a string.
func (s *importScanner) str(v *string) bool {
	b, ok := s.raw()
	if ok {
		*v = string(b)
	}
	return ok
}

// key reads an object's key and its colon.
func (s *importScanner) key() ([]byte, bool) {
	k, ok := s.raw()
	return k, ok && s.next(':')
}

// object reads an object, calling field after each key to read its value.
func (s *importScanner) object(field func(key []byte) bool) bool {
	if !s.next('{') {
		return false
	}
	if s.next('}') {
		return true
	}
	for {
		k, ok := s.key()
		if !ok || !field(k) {
			return false
		}
		if !s.next(',') {
			return s.next('}')
		}
	}
}

// array reads an array, calling elem for each element. An empty array
// reads as a non-nil empty slice in encoding/json: empty reports one.
func (s *importScanner) array(elem func() bool) (empty, ok bool) {
	if !s.next('[') {
		return false, false
	}
	if s.next(']') {
		return true, true
	}
	for {
		if !elem() {
			return false, false
		}
		if !s.next(',') {
			return false, s.next(']')
		}
	}
}

// int reads an integer: no fraction, no exponent, within int64.
func (s *importScanner) int(v *int64) bool {
	s.skip()
	start := s.i
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	digits := s.i
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		s.i++
	}
	switch {
	case s.i == digits, s.b[digits] == '0' && s.i > digits+1:
		return false
	case s.i < len(s.b) && (s.b[s.i] == '.' || s.b[s.i] == 'e' || s.b[s.i] == 'E'):
		return false
	}
	n, err := strconv.ParseInt(string(s.b[start:s.i]), 10, 64)
	*v = n
	return err == nil
}

// bool reads true or false.
func (s *importScanner) bool(v *bool) bool {
	s.skip()
	rest := s.b[s.i:]
	switch {
	case bytes.HasPrefix(rest, []byte("true")):
		*v, s.i = true, s.i+4
	case bytes.HasPrefix(rest, []byte("false")):
		*v, s.i = false, s.i+5
	default:
		return false
	}
	return true
}

// once reports whether bit is not yet in seen, and adds it: a field given
// twice goes to encoding/json, whose rules for it (the last wins, a slice
// or map is decoded into) the fast path does not repeat.
func once(seen *uint32, bit uint32) bool {
	if *seen&bit != 0 {
		return false
	}
	*seen |= bit
	return true
}

// record reads a whole line as one record and nothing after it.
func (s *importScanner) record(rec *ImportRecord) bool {
	var seen uint32
	ok := s.object(func(k []byte) bool {
		switch string(k) {
		case "id":
			return once(&seen, 1<<0) && s.str(&rec.ID)
		case "kind":
			return once(&seen, 1<<1) && s.str(&rec.Kind)
		case "name":
			return once(&seen, 1<<2) && s.str(&rec.Name)
		case "plan":
			return once(&seen, 1<<3) && s.str(&rec.Plan)
		case "owner":
			return once(&seen, 1<<4) && s.str(&rec.Owner)
		case "billing_contact":
			return once(&seen, 1<<5) && s.str(&rec.BillingContact)
		case "members":
			return once(&seen, 1<<6) && s.members(&rec.Members)
		case "guests":
			return once(&seen, 1<<7) && s.members(&rec.Guests)
		case "settings":
			var sseen uint32
			return once(&seen, 1<<8) && s.object(func(k []byte) bool {
				return string(k) == "guests_disabled" && once(&sseen, 1) && s.bool(&rec.Settings.GuestsDisabled)
			})
		case "logo":
			return once(&seen, 1<<9) && s.str(&rec.Logo)
		case "preferences":
			return once(&seen, 1<<10) && s.preferences(&rec.Preferences)
		case "credits":
			return once(&seen, 1<<11) && s.credits(&rec.Credits)
		case "allowances":
			return once(&seen, 1<<12) && s.allowances(&rec.Allowances)
		}
		return false
	})
	s.skip()
	return ok && s.i == len(s.b)
}

func (s *importScanner) members(ms *[]ImportMember) bool {
	list := s.d.members[:0]
	empty, ok := s.array(func() bool {
		var m ImportMember
		var seen uint32
		ok := s.object(func(k []byte) bool {
			switch string(k) {
			case "user":
				return once(&seen, 1<<0) && s.str(&m.User)
			case "role":
				if !once(&seen, 1<<1) {
					return false
				}
				b, ok := s.raw()
				if ok {
					m.Role = s.d.intern(b)
				}
				return ok
			case "projects":
				if !once(&seen, 1<<2) {
					return false
				}
				empty, ok := s.array(func() bool {
					var p string
					ok := s.str(&p)
					m.Projects = append(m.Projects, p)
					return ok
				})
				if empty {
					m.Projects = []string{}
				}
				return ok
			}
			return false
		})
		list = append(list, m)
		return ok
	})
	s.d.members = list
	switch {
	case empty:
		*ms = []ImportMember{}
	case ok:
		*ms = slices.Clone(list)
	}
	return ok
}

func (s *importScanner) preferences(prefs *map[string]string) bool {
	*prefs = map[string]string{}
	return s.object(func(k []byte) bool {
		var v string
		ok := s.str(&v)
		(*prefs)[string(k)] = v
		return ok
	})
}

func (s *importScanner) credits(cs *[]ImportCredit) bool {
	empty, ok := s.array(func() bool {
		var c ImportCredit
		var seen uint32
		ok := s.object(func(k []byte) bool {
			switch string(k) {
			case "currency":
				return once(&seen, 1<<0) && s.str(&c.Currency)
			case "amount":
				return once(&seen, 1<<1) && s.int(&c.Amount)
			}
			return false // expires among them: encoding/json parses times
		})
		*cs = append(*cs, c)
		return ok
	})
	if empty {
		*cs = []ImportCredit{}
	}
	return ok
}

func (s *importScanner) allowances(as *[]ImportAllowance) bool {
	empty, ok := s.array(func() bool {
		var a ImportAllowance
		var seen uint32
		ok := s.object(func(k []byte) bool {
			switch string(k) {
			case "member":
				return once(&seen, 1<<0) && s.str(&a.Member)
			case "currency":
				return once(&seen, 1<<1) && s.str(&a.Currency)
			case "amount":
				return once(&seen, 1<<2) && s.int(&a.Amount)
			}
			return false
		})
		*as = append(*as, a)
		return ok
	})
	if empty {
		*as = []ImportAllowance{}
	}
	return ok
}
