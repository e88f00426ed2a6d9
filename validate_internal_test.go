package charter

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/charterhq/charter/policy"
	"github.com/charterhq/charter/storage/memory"
	"pgregory.net/rapid"
)

// text draws gate input from pieces that sit on every rule's edge: printable
// ASCII, DEL and the C0 and C1 controls, multi-byte runes, a stray byte of
// invalid UTF-8, and runs long enough to pass each limit.
func text() *rapid.Generator[string] {
	piece := rapid.SampledFrom([]string{
		"a", "Z", "0", " ", "~", "_", "-", ".", "@",
		"\x00", "\t", "\n", "\x1f", "\x7f", "\u0080", "\u0085", "\u009f", "\u00a0",
		"é", "日本", "\U0001F600", "\xff", "\xc3", "\xed\xa0\x80",
	})
	// A run of n ASCII letters, n around the limits of 128 and 200 bytes.
	run := rapid.Custom(func(t *rapid.T) string {
		return strings.Repeat("x", rapid.SampledFrom([]int{1, 63, 64, 65, 126, 127, 128, 129, 198, 199, 200, 201}).Draw(t, "n"))
	})
	return rapid.Custom(func(t *rapid.T) string {
		var b strings.Builder
		for _, p := range rapid.SliceOfN(rapid.OneOf(piece, piece, run), 0, 4).Draw(t, "pieces") {
			b.WriteString(p)
		}
		return b.String()
	})
}

// gateService is a Service for the gate's tests.
func gateService(t *testing.T) *Service {
	p, err := policy.LoadFile("testdata/policies/team-guests.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(p, memory.New(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// gateEdges are arguments at every length limit, and holding every byte
// and every rune up to U+00FF.
func gateEdges() []string {
	var edges []string
	for _, n := range []int{0, 1, 127, 128, 129, 199, 200, 201} {
		edges = append(edges, strings.Repeat("x", n))
	}
	for c := range 256 {
		edges = append(edges, "a"+string(byte(c)), "a"+string(rune(c)))
	}
	return edges
}

// TestCheckDecideIsCheck: the gate's fast path for Decide's arguments
// passes and refuses exactly what the full gate does, with the same error.
func TestCheckDecideIsCheck(t *testing.T) {
	s, bg := gateService(t), context.Background()
	same := func(tb interface{ Fatalf(string, ...any) }, svc *Service, c context.Context, args [4]string) {
		actor, action, id, project := args[0], args[1], args[2], args[3]
		got := svc.checkDecide(c, actor, action, id, project)
		want := svc.check(c, isID("actor", actor), isPolicyName("action", action), isID("workspace", id), isProject(project).orEmpty())
		if fmt.Sprintf("%T %v", got, got) != fmt.Sprintf("%T %v", want, want) {
			tb.Fatalf("checkDecide(%q, %q, %q, %q) = %v, check says %v", actor, action, id, project, got, want)
		}
	}
	for i := range 4 {
		for _, e := range gateEdges() {
			args := [4]string{"ok", "ok", "ok", "ok"}
			args[i] = e
			same(t, s, bg, args)
		}
	}
	rapid.Check(t, func(t *rapid.T) {
		// Mostly one argument at an edge and the others fine, so that
		// each argument's own rule decides.
		arg := rapid.OneOf(rapid.Just("ok"), rapid.Just("ok"), rapid.Just("ok"), text())
		actor, action, id, project := arg.Draw(t, "actor"), arg.Draw(t, "action"), arg.Draw(t, "id"), arg.Draw(t, "project")
		svc := rapid.SampledFrom([]*Service{s, s, s, nil, {}}).Draw(t, "service")
		c := rapid.SampledFrom([]context.Context{bg, bg, nil}).Draw(t, "ctx")
		same(t, svc, c, [4]string{actor, action, id, project})
	})
}

// TestCheckSpendIsCheck: the gate's fast path for SpendWith's arguments
// passes and refuses exactly what the full gate does, with the same error.
func TestCheckSpendIsCheck(t *testing.T) {
	s, bg := gateService(t), context.Background()
	same := func(tb interface{ Fatalf(string, ...any) }, svc *Service, c context.Context, args [6]string) {
		actor, action, id, key := args[0], args[1], args[2], args[3]
		o := SpendOptions{Project: args[4], Request: args[5]}
		got := svc.checkSpend(c, actor, action, id, key, o)
		want := svc.check(c, isID("actor", actor), isPolicyName("action", action), isID("workspace", id), isKey(key), isProject(o.Project).orEmpty(), isRequest(o.Request))
		if fmt.Sprintf("%T %v", got, got) != fmt.Sprintf("%T %v", want, want) {
			tb.Fatalf("checkSpend(%q) = %v, check says %v", args, got, want)
		}
	}
	for i := range 6 {
		for _, e := range gateEdges() {
			args := [6]string{"ok", "ok", "ok", "ok", "", ""}
			args[i] = e
			same(t, s, bg, args)
		}
	}
	rapid.Check(t, func(t *rapid.T) {
		arg := rapid.OneOf(rapid.Just("ok"), rapid.Just("ok"), rapid.Just("ok"), text())
		opt := rapid.OneOf(rapid.Just(""), rapid.Just(""), rapid.Just("ok"), text())
		args := [6]string{arg.Draw(t, "actor"), arg.Draw(t, "action"), arg.Draw(t, "id"), arg.Draw(t, "key"), opt.Draw(t, "project"), opt.Draw(t, "request")}
		svc := rapid.SampledFrom([]*Service{s, s, s, nil, {}}).Draw(t, "service")
		c := rapid.SampledFrom([]context.Context{bg, bg, nil}).Draw(t, "ctx")
		same(t, svc, c, args)
	})
}

// TestPlainWord: plain, which tests eight bytes at a time, says what a
// test of each byte says: for every byte value at every place of texts of
// 1 to 24 bytes (which covers each place in a word and in the tail), and
// for random bytes.
func TestPlainWord(t *testing.T) {
	byByte := func(v string, limit int) bool {
		if len(v) == 0 || len(v) > limit {
			return false
		}
		for i := 0; i < len(v); i++ {
			if v[i] < 0x20 || v[i] > 0x7e {
				return false
			}
		}
		return true
	}
	for n := 1; n <= 24; n++ {
		b := []byte(strings.Repeat("a", n))
		for i := range b {
			for c := range 256 {
				b[i] = byte(c)
				if got, want := plain(string(b), 64), byByte(string(b), 64); got != want {
					t.Fatalf("plain(%q) = %t, want %t", b, got, want)
				}
				// Neighbours at each end of the printable range, to catch
				// a borrow or carry between bytes.
				for _, d := range []byte{0x00, 0x1f, 0x20, 0x21, 0x7e, 0x7f, 0x80, 0xff} {
					if i+1 < n {
						b[i+1] = d
						if got, want := plain(string(b), 64), byByte(string(b), 64); got != want {
							t.Fatalf("plain(%q) = %t, want %t", b, got, want)
						}
						b[i+1] = 'a'
					}
				}
			}
			b[i] = 'a'
		}
	}
	rapid.Check(t, func(t *rapid.T) {
		v := string(rapid.SliceOfN(rapid.Byte(), 0, 40).Draw(t, "v"))
		limit := rapid.IntRange(1, 48).Draw(t, "limit")
		if got, want := plain(v, limit), byByte(v, limit); got != want {
			t.Fatalf("plain(%q, %d) = %t, want %t", v, limit, got, want)
		}
	})
}

// TestPlainPassesTextRule: what the fast path calls plain, the text rules
// pass.
func TestPlainPassesTextRule(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v, limit := text().Draw(t, "v"), rapid.IntRange(1, MaxEmailBytes).Draw(t, "limit")
		if plain(v, limit) && (v == "" || textRule(v, limit) != "") {
			t.Fatalf("plain(%q, %d) but textRule says %q", v, limit, textRule(v, limit))
		}
	})
}
