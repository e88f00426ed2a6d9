package charter

import (
	"bytes"
	"encoding/json"
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
