package charter

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// TestReceiptJSON: receiptJSON writes what json.Marshal writes, byte for
// byte, for receipts of plain and hostile text and of any time.
func TestReceiptJSON(t *testing.T) {
	// Plain text, which receiptJSON writes itself, and any text, mostly
	// what encoding/json escapes.
	plain := rapid.SampledFrom([]string{"", "k1", "create_visuals", "edi", "credits", "key:k1", "grant-0001", " ~!#$%'()*+,-./:;=?@[]^_`{|}"})
	anyText := rapid.OneOf(plain,
		rapid.StringOf(rapid.SampledFrom([]rune{'a', ' ', '~', '"', '\\', '<', '>', '&', '\x00', '\x1f', '\x7f', 'é', '\u2028', '\uFFFD'})),
		rapid.String(),
	)
	var text *rapid.Generator[string]
	zones := []*time.Location{time.UTC, time.FixedZone("x", 5*3600+30*60), time.FixedZone("y", -23*3600-59*60-59), time.FixedZone("z", 24*3600), time.FixedZone("s", 17)}
	when := rapid.Custom(func(t *rapid.T) time.Time {
		if rapid.IntRange(0, 5).Draw(t, "zero") == 0 {
			return time.Time{}
		}
		sec := rapid.Int64Range(-70000000000, 300000000000).Draw(t, "sec")
		return time.Unix(sec, rapid.Int64Range(0, 999999999).Draw(t, "nsec")).In(rapid.SampledFrom(zones).Draw(t, "zone"))
	})
	lot := rapid.Custom(func(t *rapid.T) Lot {
		return Lot{Grant: text.Draw(t, "grant"), Amount: rapid.Int64().Draw(t, "amount"), Expires: when.Draw(t, "expires")}
	})
	same := func(tb interface{ Fatalf(string, ...any) }, r Receipt) {
		want, wantErr := json.Marshal(r)
		got, err := receiptJSON(r)
		if !bytes.Equal(got, want) || (err == nil) != (wantErr == nil) {
			tb.Fatalf("receiptJSON(%+v) =\n%s, %v\njson.Marshal gives\n%s, %v", r, got, err, want, wantErr)
		}
	}
	// Each text field holding each character encoding/json escapes.
	at := time.Date(2026, 12, 4, 18, 0, 0, 5, time.UTC)
	for _, c := range []string{"&", "<", ">", `"`, `\`, "\x00", "\n", "\x1f", "\x7f", "é", "\u2028", "\xff"} {
		v := "a" + c + "b"
		for _, r := range []Receipt{
			{Key: v, Time: at}, {Action: v, Time: at}, {Member: v, Time: at}, {Currency: v, Time: at},
			{Time: at, Lots: []Lot{{Grant: "g"}, {Grant: v}}},
		} {
			same(t, r)
		}
	}
	rapid.Check(t, func(t *rapid.T) {
		// Mostly plain, so that often one text alone is not.
		text = rapid.OneOf(plain, plain, plain, plain, plain, plain, anyText)
		r := Receipt{
			Key: text.Draw(t, "key"), Action: text.Draw(t, "action"), Member: text.Draw(t, "member"), Currency: text.Draw(t, "currency"),
			Amount: rapid.Int64().Draw(t, "amount"), Period: rapid.Int64().Draw(t, "period"), Time: when.Draw(t, "time"),
			Refunded: rapid.Bool().Draw(t, "refunded"),
		}
		if rapid.Bool().Draw(t, "lots") {
			r.Lots = rapid.SliceOfN(lot, 0, 3).Draw(t, "lots")
		}
		same(t, r)
	})
}

// TestStoredReceipt: a receipt stored by appendReceipt in a store of this
// process reads back as itself when the compact form holds it, and
// otherwise as its JSON reads back; a record in the JSON form, as every
// record was before the compact one and is in a database, reads back as
// encoding/json reads it. The compact form holds every receipt a spend
// makes.
func TestStoredReceipt(t *testing.T) {
	text := rapid.OneOf(
		rapid.SampledFrom([]string{"", "k1", "create_visuals", "edi", "credits", "key:k1", "R1", "R2", "0", "é\u2028"}),
		rapid.StringOf(rapid.SampledFrom([]rune{'a', '1', '-', ' ', '\x1f', '\x1e', '\x00', '\n', '"', 'é'})),
		rapid.String(),
	)
	zones := []*time.Location{time.UTC, time.UTC, time.FixedZone("x", 5*3600), time.Local}
	when := rapid.Custom(func(t *rapid.T) time.Time {
		if rapid.IntRange(0, 4).Draw(t, "zero") == 0 {
			return time.Time{}.In(rapid.SampledFrom(zones).Draw(t, "zone of zero"))
		}
		sec := rapid.Int64Range(-12000000000, 12000000000).Draw(t, "sec")
		return time.Unix(sec, rapid.Int64Range(0, 999999999).Draw(t, "nsec")).In(rapid.SampledFrom(zones).Draw(t, "zone"))
	})
	rapid.Check(t, func(t *rapid.T) {
		r := Receipt{
			Key: text.Draw(t, "key"), Action: text.Draw(t, "action"), Member: text.Draw(t, "member"), Currency: text.Draw(t, "currency"),
			Amount: rapid.Int64().Draw(t, "amount"), Period: rapid.Int64().Draw(t, "period"), Time: when.Draw(t, "time"),
			Refunded: rapid.Bool().Draw(t, "refunded"),
		}
		if rapid.Bool().Draw(t, "lots") {
			r.Lots = rapid.SliceOfN(rapid.Custom(func(t *rapid.T) Lot {
				return Lot{Grant: text.Draw(t, "grant"), Amount: rapid.Int64().Draw(t, "amount"), Expires: when.Draw(t, "expires")}
			}), 0, 3).Draw(t, "lots")
		}
		// The record's key: mostly the receipt's own, as a spend's is; a
		// refund's is another.
		key := rapid.OneOf(rapid.Just(r.Key), text).Draw(t, "record key")
		if key == "" {
			key = "k" // a record's key is never empty
		}
		b, err := appendReceipt(nil, &r, key, true)
		if err != nil {
			t.Fatalf("appendReceipt(%+v): %v", r, err)
		}
		j, _ := json.Marshal(r)
		if shared, _ := appendReceipt(nil, &r, key, false); !bytes.Equal(shared, j) {
			t.Fatalf("appendReceipt(%+v) for a shared store wrote %q, want its JSON %s", r, shared, j)
		}
		if compact := bytes.HasPrefix(b, []byte(compactMark)); compact != compactable(&r) {
			t.Fatalf("appendReceipt(%+v) wrote %q: compact %v, compactable %v", r, b, compact, compactable(&r))
		}
		if compactable(&r) && r.Key == key && !bytes.HasPrefix(b, []byte(compactMark+"\x00")) {
			t.Fatalf("appendReceipt(%+v) under its own key wrote %q, which writes the key out", r, b)
		}
		got, err := storedReceipt(string(b), key)
		if err != nil {
			t.Fatalf("storedReceipt(%q): %v", b, err)
		}
		want, err := storedReceipt(string(j), key)
		if err != nil {
			t.Fatalf("storedReceipt(%s): %v", j, err)
		}
		if compactable(&r) {
			want = r
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("receipt %+v stored as %q reads back as\n%+v, want\n%+v", r, b, got, want)
		}
	})
	// What a spend stores is compact.
	spend := Receipt{Key: "k1", Action: "create_visuals", Member: "edi", Currency: "credits", Amount: 1,
		Time: time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC), Lots: []Lot{{Grant: "key:fund", Amount: 1}}}
	if b, _ := appendReceipt(nil, &spend, "k1", true); string(b) != spendRecord {
		t.Errorf("a spend's receipt is stored as %q", b)
	}
}

// spendRecord is the compact record of TestStoredReceipt's spend.
const spendRecord = "R2\x00\x0ecreate_visuals\x03edi\acredits\x02\x00\x01\x80\x80\xa5\x81\xc2\xa1\xcf\xee\x31\x00\x02\bkey:fund\x02\x00"

// malformedCompact are records that start as compact ones but are not as
// appendReceipt writes any receipt.
var malformedCompact = []struct{ why, record string }{
	{"empty", "R2"},
	{"the record's key written out", "R2\x01k\x01a\x01m\x01c\x02\x00\x00\x00\x00"},
	{"a length past the end", "R2\x05k"},
	{"a length not in its shortest form", "R2\x81\x00k\x01a\x01m\x01c\x02\x00\x00\x00\x00"},
	{"a number not in its shortest form", "R2\x00\x01a\x01m\x01c\x82\x00\x00\x00\x00\x00"},
	{"a number of 65 bits", "R2\x00\x01a\x01m\x01c\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02\x00\x00\x00\x00"},
	{"a number of 11 bytes", "R2\x00\x01a\x01m\x01c\xff\xff\xff\xff\xff\xff\xff\xff\xff\x80\x01\x00\x00\x00\x00"},
	{"a number cut short", "R2\x00\x01a\x01m\x01c\x82"},
	{"a time flag of 2", "R2\x00\x01a\x01m\x01c\x02\x00\x02\x00\x00"},
	{"a time before 1679", "R2\x00\x01a\x01m\x01c\x02\x00\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x00\x00"}, // math.MinInt64 ns
	{"a refunded flag of 2", "R2\x00\x01a\x01m\x01c\x02\x00\x00\x02\x00"},
	{"more lots than bytes", "R2\x00\x01a\x01m\x01c\x02\x00\x00\x00\xff\xff\xff\xff\x0f"},
	{"a lot cut short", "R2\x00\x01a\x01m\x01c\x02\x00\x00\x00\x02\x01g\x02"},
	{"a byte after the end", "R2\x00\x01a\x01m\x01c\x02\x00\x00\x00\x00\x00"},
}

// TestCompactReceiptMalformed: a compact record not as appendReceipt
// writes one is an error, and the record it was built from reads back.
func TestCompactReceiptMalformed(t *testing.T) {
	good := "R2\x00\x01a\x01m\x01c\x02\x00\x00\x00\x00"
	if r, err := storedReceipt(good, "k"); err != nil || r.Key != "k" || r.Amount != 1 || r.Lots != nil {
		t.Fatalf("storedReceipt(%q) = %+v, %v", good, r, err)
	}
	// An empty key text stands for the record's key, which is never empty.
	if r, err := storedReceipt(good, ""); !errors.Is(err, errCompact) {
		t.Errorf("storedReceipt(%q) under an empty key = %+v, %v; want errCompact", good, r, err)
	}
	for _, c := range malformedCompact {
		if r, err := storedReceipt(c.record, "k"); !errors.Is(err, errCompact) {
			t.Errorf("%s: storedReceipt(%q) = %+v, %v; want errCompact", c.why, c.record, r, err)
		}
	}
}

// FuzzStoredReceipt: storedReceipt reads any record without panicking,
// and a compact record it reads is the very record appendReceipt writes
// for the receipt it reads as (one record per receipt), which reads back
// as the same receipt.
func FuzzStoredReceipt(f *testing.F) {
	f.Add(spendRecord)
	f.Add("R2\x00\x01a\x01m\x01c\t\x06\x00\x01\x00")
	f.Add("R2\x03k:0\x01a\x01m\x01c\t\x06\x00\x01\x00") // a refund's: another key
	f.Add(`{"Key":"k","Lots":null}`)
	f.Add("R2")
	for _, c := range malformedCompact {
		f.Add(c.record)
	}
	f.Fuzz(func(t *testing.T, record string) {
		r, err := storedReceipt(record, "k")
		if err != nil || !strings.HasPrefix(record, compactMark) {
			return
		}
		b, err := appendReceipt(nil, &r, "k", true)
		if err != nil {
			t.Fatalf("appendReceipt(%+v): %v", r, err)
		}
		if string(b) != record {
			t.Fatalf("record %q read as %+v, which is written as %q", record, r, b)
		}
		again, err := storedReceipt(string(b), "k")
		if err != nil || !reflect.DeepEqual(again, r) {
			t.Fatalf("record %q read as %+v, written as %q, reads as %+v, %v", record, r, b, again, err)
		}
	})
}

// TestCompactTime: compactTime's bounds are the years the compact form's
// Unix nanoseconds hold, 1679 to 2261 in UTC, by the calendar: at each
// bound's edge, across the range, outside UTC and with a monotonic reading.
func TestCompactTime(t *testing.T) {
	byYear := func(t time.Time) bool {
		return t.Location() == time.UTC && (t.IsZero() || t.Year() > 1678 && t.Year() < 2262)
	}
	edges := []time.Time{
		{}, time.Now(), time.Now().UTC(), time.Unix(0, 0), time.Unix(0, 0).UTC(),
		time.Date(1678, 12, 31, 23, 59, 59, 999999999, time.UTC), time.Date(1679, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2261, 12, 31, 23, 59, 59, 999999999, time.UTC), time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 12, 6, 0, 0, 0, 0, time.FixedZone("x", 3600)),
	}
	for _, e := range edges {
		if compactTime(e) != byYear(e) {
			t.Errorf("compactTime(%v) = %v, by the year %v", e, compactTime(e), byYear(e))
		}
	}
	rapid.Check(t, func(t *rapid.T) {
		v := time.Unix(rapid.Int64Range(-20e9, 20e9).Draw(t, "sec"), rapid.Int64Range(0, 999999999).Draw(t, "nsec")).UTC()
		if compactTime(v) != byYear(v) {
			t.Fatalf("compactTime(%v) = %v, by the year %v", v, compactTime(v), byYear(v))
		}
	})
}

// TestClockTruncates: the Service's clock is its Now in UTC truncated to
// the microsecond, as time.Time.Truncate does it, for times of any sign
// and zone, with and without a monotonic reading.
func TestClockTruncates(t *testing.T) {
	zones := []*time.Location{time.UTC, time.FixedZone("east", 5*3600+1800), time.FixedZone("west", -7*3600)}
	check := func(t interface {
		Helper()
		Fatalf(string, ...any)
	}, now time.Time) {
		t.Helper()
		s := &Service{now: func() time.Time { return now }}
		got, want := s.clock(), now.UTC().Truncate(time.Microsecond)
		if got != want {
			t.Fatalf("clock of %v = %v, want %v", now, got, want)
		}
	}
	check(t, time.Time{})
	check(t, time.Now()) // a monotonic reading, which UTC drops
	check(t, time.Date(-3, 1, 1, 0, 0, 0, 999, time.UTC))
	check(t, time.Date(0, 12, 31, 23, 59, 59, 1001, time.UTC))
	rapid.Check(t, func(rt *rapid.T) {
		sec := rapid.Int64Range(-1<<40, 1<<40).Draw(rt, "sec")
		nsec := rapid.Int64Range(0, 999_999_999).Draw(rt, "nsec")
		zone := rapid.SampledFrom(zones).Draw(rt, "zone")
		check(rt, time.Unix(sec, nsec).In(zone))
	})
}
