package charter

import (
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
)

// sameAsJSON checks that the import's decoder reads text as encoding/json
// does: the same record and trailing value, or the same error.
func sameAsJSON(t *testing.T, d *importDecoder, text string) {
	t.Helper()
	var got, want ImportRecord
	gotMore, gotErr := d.decode([]byte(text), &got)
	wantMore, wantErr := decodeImportJSON([]byte(text), &want)
	switch {
	case (gotErr == nil) != (wantErr == nil):
		t.Fatalf("decode(%q) error %v, encoding/json %v", text, gotErr, wantErr)
	case gotErr != nil && gotErr.Error() != wantErr.Error():
		t.Fatalf("decode(%q) error %q, encoding/json %q", text, gotErr, wantErr)
	case gotErr != nil:
		return
	case gotMore != wantMore:
		t.Fatalf("decode(%q) more = %t, encoding/json %t", text, gotMore, wantMore)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("decode(%q) differs from encoding/json (-json +decode):\n%s", text, diff)
	}
}

// fastPath reports whether the scanner reads text without encoding/json.
func fastPath(text string) bool {
	var rec ImportRecord
	s := importScanner{b: []byte(text), d: &importDecoder{}}
	return s.record(&rec)
}

// importDecodeCases are lines the fast path must read (fast) or hand to
// encoding/json.
var importDecodeCases = []struct {
	name string
	text string
	fast bool
}{
	{"workload", `{"id":"ws-1","plan":"business","owner":"u1","members":[{"user":"u2","role":"admin"},{"user":"u3","role":"member"}]}`, true},
	{"every field", `{"id": "acme", "kind": "shared", "name": "Acmé", "plan": "business", "owner": "u1", "billing_contact": "u2",
	  "members": [{"user": "u2", "role": "admin"}], "guests": [{"user": "g1", "projects": ["roadmap", "design"]}],
	  "settings": {"guests_disabled": true}, "logo": "https://cdn.example.com/acme.png", "preferences": {"theme": "dark"},
	  "credits": [{"currency": "ai_credits", "amount": 500}], "allowances": [{"member": "u2", "currency": "ai_credits", "amount": -0}]}`, true},
	{"empty object", `{}`, true},
	{"empty lists are not nil", `{"id":"a","members":[],"guests":[{"user":"g","projects":[]}],"preferences":{},"credits":[],"allowances":[]}`, true},
	{"settings false", "{\t\"settings\" : { \"guests_disabled\" : false } }\r\n", true},
	{"largest amount", `{"credits":[{"currency":"c","amount":9223372036854775807}]}`, true},
	{"smallest amount", `{"credits":[{"currency":"c","amount":-9223372036854775808}]}`, true},

	{"escape", `{"id":"a\u0062"}`, false},
	{"escaped key", `{"i\u0064":"a"}`, false},
	{"control character", "{\"id\":\"a\x01\"}", false},
	{"invalid UTF-8", "{\"id\":\"a\xff\"}", false},
	{"surrogate in UTF-8", "{\"id\":\"\xed\xa0\x80\"}", false},
	{"key in other case", `{"ID":"a"}`, false},
	{"unknown field", `{"id":"a","colour":"red"}`, false},
	{"unknown member field", `{"members":[{"user":"u","rank":1}]}`, false},
	{"field twice", `{"id":"a","id":"b"}`, false},
	{"members twice", `{"members":[{"user":"a"}],"members":[{"user":"b"}]}`, false},
	{"null", `{"id":null}`, false},
	{"null line", `null`, false},
	{"number as string", `{"id":1}`, false},
	{"fraction", `{"credits":[{"currency":"c","amount":1.5}]}`, false},
	{"exponent", `{"credits":[{"currency":"c","amount":1e3}]}`, false},
	{"leading zero", `{"credits":[{"currency":"c","amount":012}]}`, false},
	{"too large", `{"credits":[{"currency":"c","amount":9223372036854775808}]}`, false},
	{"expires", `{"credits":[{"currency":"c","amount":1,"expires":"2027-01-01T00:00:00Z"}]}`, false},
	{"trailing comma", `{"id":"a",}`, false},
	{"trailing comma in list", `{"members":[{"user":"a"},]}`, false},
	{"two values", `{"id":"a"} {"id":"b"}`, false},
	{"trailing brace", `{"id":"a"}}`, false},
	{"unterminated", `{"id":"a"`, false},
	{"array", `[{"id":"a"}]`, false},
	{"true as string", `{"settings":{"guests_disabled":"true"}}`, false},
	{"truthy", `{"settings":{"guests_disabled":truex}}`, false},
}

// TestImportFastPath checks which lines the fast path reads and that every
// line decodes as encoding/json decodes it.
func TestImportFastPath(t *testing.T) {
	for _, tt := range importDecodeCases {
		t.Run(tt.name, func(t *testing.T) {
			if got := fastPath(tt.text); got != tt.fast {
				t.Errorf("fast path read %q: %t, want %t", tt.text, got, tt.fast)
			}
			sameAsJSON(t, &importDecoder{}, tt.text)
		})
	}
}

// TestImportFastPathRecord checks a record the fast path reads field by
// field, not only against encoding/json.
func TestImportFastPathRecord(t *testing.T) {
	d := &importDecoder{}
	var rec ImportRecord
	more, err := d.decode([]byte(`{"id":"w","owner":"o","members":[{"user":"a","role":"admin"},{"user":"b","role":"admin"}],"credits":[{"currency":"c","amount":-7}]}`), &rec)
	if err != nil || more {
		t.Fatalf("decode: more %t, error %v", more, err)
	}
	want := ImportRecord{
		ID: "w", Owner: "o",
		Members: []ImportMember{{User: "a", Role: "admin"}, {User: "b", Role: "admin"}},
		Credits: []ImportCredit{{Currency: "c", Amount: -7}},
	}
	if diff := cmp.Diff(want, rec); diff != "" {
		t.Fatalf("decode (-want +got):\n%s", diff)
	}
	if unsafe.StringData(rec.Members[0].Role) != unsafe.StringData(rec.Members[1].Role) {
		t.Errorf("the two members' role %q is held twice, want one string", rec.Members[0].Role)
	}
}

// FuzzImportDecode checks that the import's decoder, fast path or not,
// agrees with encoding/json on every line.
func FuzzImportDecode(f *testing.F) {
	for _, tt := range importDecodeCases {
		f.Add(tt.text)
	}
	d := &importDecoder{}
	f.Fuzz(func(t *testing.T, text string) {
		sameAsJSON(t, d, text)
	})
}
