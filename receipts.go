package charter

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A receipt is stored as its key's record (storage.Idempotency.Result) in
// one of two forms, told apart by the first byte. storedReceipt reads
// both. appendReceipt writes the compact one in a store whose data no
// other build reads (storage.InProcess: the memory store), whenever it
// holds the receipt exactly; in a database, which a build from before the
// compact form may share, it writes JSON:
//
//   - JSON, json.Marshal of the Receipt, which starts with '{': what every
//     record held before the compact form, and what a receipt the compact
//     form cannot hold is still written as (receiptJSON);
//   - compact, which starts with "R1" and is then the receipt's fields,
//     each after a unit separator (0x1F): Key, Action, Member, Currency,
//     Amount, Period, Time, Refunded ("0" or "1"), then Grant, Amount and
//     Expires of each lot. Numbers are decimal; a time is its Unix
//     nanoseconds in UTC, "" when zero.
//
// The compact form holds a receipt whose texts have no control character
// (every text charter takes passes its gate without one), whose times
// are UTC, zero or between the years 1678 and 2261 (a Unix nanosecond
// count's range), and whose Lots are nil or not empty. It keeps a text's
// bytes as they are, where JSON would write invalid UTF-8 as U+FFFD (no
// text that passed the gate has any). It is about half the size of the
// JSON and quicker to write and read.

// compactMark starts a receipt in the compact form; compactSep is its
// fields' separator.
const (
	compactMark = "R1"
	compactSep  = '\x1f'
)

// appendReceipt appends r's record to b: the compact form when compact is
// set and it holds r exactly, JSON otherwise.
func appendReceipt(b []byte, r Receipt, compact bool) ([]byte, error) {
	if !compact || !compactable(r) {
		return appendReceiptJSON(b, r)
	}
	b = append(b, compactMark...)
	for _, v := range [...]string{r.Key, r.Action, r.Member, r.Currency} {
		b = append(append(b, compactSep), v...)
	}
	b = strconv.AppendInt(append(b, compactSep), r.Amount, 10)
	b = strconv.AppendInt(append(b, compactSep), r.Period, 10)
	b = appendNanos(append(b, compactSep), r.Time)
	b = append(b, compactSep, '0')
	if r.Refunded {
		b[len(b)-1] = '1'
	}
	for _, l := range r.Lots {
		b = append(append(b, compactSep), l.Grant...)
		b = strconv.AppendInt(append(b, compactSep), l.Amount, 10)
		b = appendNanos(append(b, compactSep), l.Expires)
	}
	return b, nil
}

// compactable reports whether the compact form holds r exactly.
func compactable(r Receipt) bool {
	if r.Lots != nil && len(r.Lots) == 0 {
		return false
	}
	ok := compactText(r.Key) && compactText(r.Action) && compactText(r.Member) && compactText(r.Currency) && compactTime(r.Time)
	for _, l := range r.Lots {
		ok = ok && compactText(l.Grant) && compactTime(l.Expires)
	}
	return ok
}

// compactText reports whether v holds no control character, so no
// separator.
func compactText(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 {
			return false
		}
	}
	return true
}

// compactTime reports whether t is in UTC, and zero or within the years
// Unix nanoseconds count.
func compactTime(t time.Time) bool {
	return t.Location() == time.UTC && (t.IsZero() || !t.Before(compactFrom) && t.Before(compactUntil))
}

// compactFrom and compactUntil bound the times compact holds, as
// compactTime tests them: from the start of 1679 to the start of 2262.
var (
	compactFrom  = time.Date(1679, 1, 1, 0, 0, 0, 0, time.UTC)
	compactUntil = time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC)
)

// appendNanos appends t as compact writes it.
func appendNanos(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	return strconv.AppendInt(b, t.UnixNano(), 10)
}

// storedReceipt decodes the receipt stored under key, in either form.
func storedReceipt(result, key string) (Receipt, error) {
	var r Receipt
	var err error
	if strings.HasPrefix(result, compactMark) {
		r, err = compactReceipt(result[len(compactMark):])
	} else {
		err = json.Unmarshal([]byte(result), &r)
	}
	if err != nil {
		return Receipt{}, fmt.Errorf("charter: stored receipt of key %q: %w", short(key), err)
	}
	return r, nil
}

// errCompact is what a malformed compact receipt gives.
var errCompact = errors.New("malformed compact receipt")

// compactReceipt decodes the fields of a compact receipt, each after a
// separator.
func compactReceipt(s string) (Receipt, error) {
	var r Receipt
	var ok bool
	field := func() string {
		if !ok || len(s) == 0 || s[0] != compactSep {
			ok = false
			return ""
		}
		s = s[1:]
		i := strings.IndexByte(s, compactSep)
		if i < 0 {
			i = len(s)
		}
		v := s[:i]
		s = s[i:]
		ok = compactText(v) // as appendReceipt writes them
		return v
	}
	number := func() int64 {
		n, err := strconv.ParseInt(field(), 10, 64)
		ok = ok && err == nil
		return n
	}
	nanos := func() time.Time {
		v := field()
		if v == "" {
			return time.Time{}
		}
		n, err := strconv.ParseInt(v, 10, 64)
		t := time.Unix(0, n).UTC()
		ok = ok && err == nil && compactTime(t) // as appendReceipt writes them
		return t
	}
	ok = true
	r.Key, r.Action, r.Member, r.Currency = field(), field(), field(), field()
	r.Amount, r.Period, r.Time = number(), number(), nanos()
	switch field() {
	case "0":
	case "1":
		r.Refunded = true
	default:
		ok = false
	}
	for ok && len(s) > 0 {
		r.Lots = append(r.Lots, Lot{Grant: field(), Amount: number(), Expires: nanos()})
	}
	if !ok {
		return Receipt{}, errCompact
	}
	return r, nil
}

// receiptJSON is json.Marshal(r), byte for byte (TestReceiptJSON), without
// reflection when every text of r is plain (see jsonPlain) and every time
// in years 0 to 9999: a spend encodes one receipt.
func receiptJSON(r Receipt) ([]byte, error) {
	return appendReceiptJSON(make([]byte, 0, 160+80*len(r.Lots)), r)
}

// appendReceiptJSON appends receiptJSON(r) to b.
func appendReceiptJSON(b []byte, r Receipt) ([]byte, error) {
	ok := jsonPlain(r.Key) && jsonPlain(r.Action) && jsonPlain(r.Member) && jsonPlain(r.Currency) && jsonTime(r.Time)
	for _, l := range r.Lots {
		ok = ok && jsonPlain(l.Grant) && jsonTime(l.Expires)
	}
	if !ok {
		return appendMarshal(b, r)
	}
	b = append(b, `{"Key":"`...)
	b = append(b, r.Key...)
	b = append(b, `","Action":"`...)
	b = append(b, r.Action...)
	b = append(b, `","Member":"`...)
	b = append(b, r.Member...)
	b = append(b, `","Currency":"`...)
	b = append(b, r.Currency...)
	b = append(b, `","Amount":`...)
	b = strconv.AppendInt(b, r.Amount, 10)
	b = append(b, `,"Period":`...)
	b = strconv.AppendInt(b, r.Period, 10)
	b = append(b, `,"Time":"`...)
	b = r.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","Lots":`...)
	if r.Lots == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, l := range r.Lots {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"Grant":"`...)
			b = append(b, l.Grant...)
			b = append(b, `","Amount":`...)
			b = strconv.AppendInt(b, l.Amount, 10)
			if !l.Expires.IsZero() {
				b = append(b, `,"Expires":"`...)
				b = l.Expires.AppendFormat(b, time.RFC3339Nano)
				b = append(b, '"')
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"Refunded":`...)
	b = strconv.AppendBool(b, r.Refunded)
	return append(b, '}'), nil
}

// appendMarshal appends json.Marshal(r) to b.
func appendMarshal(b []byte, r Receipt) ([]byte, error) {
	j, err := json.Marshal(r)
	return append(b, j...), err
}

// jsonPlain reports whether encoding/json writes v as it is between
// quotes: printable ASCII but for the quote, the backslash and the three
// characters it escapes for HTML.
func jsonPlain(v string) bool {
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c < 0x20, c > 0x7e, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}

// jsonTime reports whether time.Time.MarshalJSON writes t, as it does
// unless its year is outside 0 to 9999 or its zone 24 hours or more away
// from UTC; it then writes what AppendFormat(RFC3339Nano) does.
func jsonTime(t time.Time) bool {
	if t.IsZero() { // a lot that never expires: no zone to look up
		return true
	}
	_, offset := t.Zone()
	return t.Year() >= 0 && t.Year() <= 9999 && offset > -24*3600 && offset < 24*3600
}
