package charter

import (
	"encoding/binary"
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
//   - compact, which starts with "R2" and is then the receipt's fields in
//     binary: Key, Action, Member and Currency, each its length (a
//     uvarint) and its bytes, but Key empty when it is the record's key
//     (the store keeps that beside the record: a receipt names its own
//     key but for a refund's); Amount and Period (varints); Time; Refunded
//     (one byte, 0 or 1); the number of Lots plus one (a uvarint; 0 when
//     Lots is nil); and of each lot its Grant, Amount and Expires, as
//     above. A time is one byte, 0 when it is zero, else 1 and its Unix
//     nanoseconds (a varint). Every uvarint and varint is in its shortest
//     form, as encoding/binary writes it, so a receipt has one record.
//
// The compact form holds a receipt whose Key is not empty and whose times
// are UTC, zero or between the years 1679 and 2261 (a Unix nanosecond
// count's range): every receipt a spend makes. It keeps a text's bytes as
// they are, where JSON would write invalid UTF-8 as U+FFFD, and tells nil
// Lots from empty ones.
// It is about half the size of the JSON, and writing it formats no
// number in decimal. (The form before it, "R1", wrote the fields as
// decimal text between unit separators; a memory store lives and dies
// with its process, so no record of it outlives the build that wrote it.)

// compactMark starts a receipt in the compact form.
const compactMark = "R2"

// appendReceipt appends r's record under key to b: the compact form when
// compact is set and it holds r exactly, JSON otherwise.
func appendReceipt(b []byte, r *Receipt, key string, compact bool) ([]byte, error) {
	if !compact || !compactable(r) {
		return appendReceiptJSON(b, r)
	}
	b = append(b, compactMark...)
	if r.Key == key {
		b = append(b, 0) // the record's key
	} else {
		b = appendText(b, r.Key)
	}
	b = appendText(b, r.Action)
	b = appendText(b, r.Member)
	b = appendText(b, r.Currency)
	b = binary.AppendVarint(b, r.Amount)
	b = binary.AppendVarint(b, r.Period)
	b = appendNanos(b, r.Time)
	b = append(b, 0)
	if r.Refunded {
		b[len(b)-1] = 1
	}
	n := uint64(0)
	if r.Lots != nil {
		n = uint64(len(r.Lots)) + 1
	}
	b = binary.AppendUvarint(b, n)
	for _, l := range r.Lots {
		b = appendText(b, l.Grant)
		b = binary.AppendVarint(b, l.Amount)
		b = appendNanos(b, l.Expires)
	}
	return b, nil
}

// appendText appends v as compact writes a text: its length, then its
// bytes.
func appendText(b []byte, v string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(v))), v...)
}

// compactable reports whether the compact form holds r exactly: whether
// its Key is not empty (an empty one stands for the record's) and
// compactTime holds each of its times.
func compactable(r *Receipt) bool {
	ok := r.Key != "" && compactTime(r.Time)
	for _, l := range r.Lots {
		ok = ok && compactTime(l.Expires)
	}
	return ok
}

// compactTime reports whether t is in UTC, and zero or within the years
// Unix nanoseconds count.
func compactTime(t time.Time) bool {
	// Both bounds are whole seconds, so t is within them exactly when its
	// whole seconds are.
	if t.Location() != time.UTC {
		return false
	}
	s := t.Unix()
	return compactFrom <= s && s < compactUntil || t.IsZero()
}

// compactFrom and compactUntil bound the times compact holds, as
// compactTime tests them, in Unix seconds: from the start of 1679 to the
// start of 2262.
var (
	compactFrom  = time.Date(1679, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	compactUntil = time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
)

// appendNanos appends t as compact writes a time.
func appendNanos(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, 0)
	}
	return binary.AppendVarint(append(b, 1), t.UnixNano())
}

// storedReceipt decodes the receipt stored under key, in either form.
func storedReceipt(result, key string) (Receipt, error) {
	var r Receipt
	var err error
	if strings.HasPrefix(result, compactMark) {
		r, err = compactReceipt(result[len(compactMark):], key)
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

// compactReader reads the fields of a compact receipt from s; ok turns
// false at the first field that is not as appendReceipt writes it, and
// stays false.
type compactReader struct {
	s  string
	ok bool
}

// uvarint reads a uvarint in its shortest form.
func (c *compactReader) uvarint() uint64 {
	if !c.ok {
		return 0
	}
	v := 0 // the bytes read, when the last was found
	var x uint64
	for n := 0; n < len(c.s) && n < binary.MaxVarintLen64; n++ {
		b := c.s[n]
		x |= uint64(b&0x7f) << (7 * n)
		if b < 0x80 {
			v = n + 1
			break
		}
	}
	// Shortest: one byte, or a last byte that is not 0; and no more
	// than 64 bits.
	if v == 0 || v > 1 && c.s[v-1] == 0 || v == binary.MaxVarintLen64 && c.s[v-1] > 1 {
		c.ok = false
		return 0
	}
	c.s = c.s[v:]
	return x
}

// varint reads a varint in its shortest form.
func (c *compactReader) varint() int64 {
	u := c.uvarint()
	return int64(u>>1) ^ -int64(u&1)
}

// text reads a text.
func (c *compactReader) text() string {
	n := c.uvarint()
	if !c.ok || n > uint64(len(c.s)) {
		c.ok = false
		return ""
	}
	v := c.s[:n]
	c.s = c.s[n:]
	return v
}

// flag reads a byte that is 0 or 1.
func (c *compactReader) flag() bool {
	if !c.ok || len(c.s) == 0 || c.s[0] > 1 {
		c.ok = false
		return false
	}
	f := c.s[0] == 1
	c.s = c.s[1:]
	return f
}

// nanos reads a time, which compactTime must hold, as appendReceipt
// writes only such times.
func (c *compactReader) nanos() time.Time {
	if !c.flag() {
		return time.Time{}
	}
	t := time.Unix(0, c.varint()).UTC()
	c.ok = c.ok && compactTime(t)
	return t
}

// compactReceipt decodes the fields of a compact receipt stored under key,
// which must be all of s. A Key written out may not be key, which is
// written as empty: a receipt has one record.
func compactReceipt(s, key string) (Receipt, error) {
	c := compactReader{s: s, ok: true}
	var r Receipt
	r.Key, r.Action, r.Member, r.Currency = c.text(), c.text(), c.text(), c.text()
	switch r.Key {
	case "":
		r.Key = key
		c.ok = c.ok && key != ""
	case key:
		c.ok = false
	}
	r.Amount, r.Period, r.Time = c.varint(), c.varint(), c.nanos()
	r.Refunded = c.flag()
	n := c.uvarint()
	switch {
	case !c.ok:
	case n > uint64(len(c.s))/3+1: // a lot takes at least three bytes
		c.ok = false
	case n > 0:
		r.Lots = make([]Lot, n-1)
		for i := range r.Lots {
			r.Lots[i] = Lot{Grant: c.text(), Amount: c.varint(), Expires: c.nanos()}
		}
	}
	if !c.ok || len(c.s) > 0 {
		return Receipt{}, errCompact
	}
	return r, nil
}

// receiptJSON is json.Marshal(r), byte for byte (TestReceiptJSON), without
// reflection when every text of r is plain (see jsonPlain) and every time
// in years 0 to 9999: a spend encodes one receipt.
func receiptJSON(r Receipt) ([]byte, error) {
	return appendReceiptJSON(make([]byte, 0, 160+80*len(r.Lots)), &r)
}

// appendReceiptJSON appends receiptJSON(r) to b.
func appendReceiptJSON(b []byte, r *Receipt) ([]byte, error) {
	ok := jsonPlain(r.Key) && jsonPlain(r.Action) && jsonPlain(r.Member) && jsonPlain(r.Currency) && jsonTime(r.Time)
	for _, l := range r.Lots {
		ok = ok && jsonPlain(l.Grant) && jsonTime(l.Expires)
	}
	if !ok {
		return appendMarshal(b, *r)
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
