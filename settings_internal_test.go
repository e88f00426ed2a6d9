package charter

import (
	"maps"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"pgregory.net/rapid"
)

// TestApplyPreferencesProperty checks applyPreferences against a model: the
// result is cur with set written and unset removed; cur is left as it was;
// the event's keys are exactly those whose value (or presence) changed,
// each with its value before and after; empty is nil; and more than
// MaxPreferences keys is refused with nothing returned.
func TestApplyPreferencesProperty(t *testing.T) {
	keys := rapid.SampledFrom([]string{"a", "b", "c", "d", "theme", "lang"})
	vals := rapid.SampledFrom([]string{"", "x", "y", "dark"})
	rapid.Check(t, func(t *rapid.T) {
		cur := rapid.MapOfN(keys, vals, 0, 6).Draw(t, "cur")
		if rapid.Bool().Draw(t, "big") {
			for i := range rapid.IntRange(20, 40).Draw(t, "n") {
				cur[strings.Repeat("k", i+1)] = "v"
			}
		}
		set := rapid.MapOfN(keys, vals, 0, 4).Draw(t, "set")
		var unset []string
		for _, k := range rapid.SliceOfN(keys, 0, 4).Draw(t, "unset") {
			if _, ok := set[k]; !ok {
				unset = append(unset, k)
			}
		}
		orig := maps.Clone(cur)

		want := maps.Clone(cur)
		if want == nil {
			want = map[string]string{}
		}
		maps.Copy(want, set)
		for _, k := range unset {
			delete(want, k)
		}

		out, before, after, err := applyPreferences(cur, set, unset)
		if !maps.Equal(cur, orig) {
			t.Fatalf("cur changed: %v, was %v", cur, orig)
		}
		if len(want) > MaxPreferences {
			if err == nil || out != nil || before != nil || after != nil {
				t.Fatalf("%d keys: got %v, %v, %v, %v; want an error and nothing else", len(want), out, before, after, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("applyPreferences: %v", err)
		}
		if !maps.Equal(out, want) || (len(want) == 0) != (out == nil) {
			t.Fatalf("result %v (nil %t), want %v", out, out == nil, want)
		}
		for k := range keysOf(orig, want) {
			o, inO := orig[k]
			n, inN := want[k]
			changed := inO != inN || o != n
			b, inB := before[k]
			a, inA := after[k]
			if !changed {
				if inB || inA {
					t.Fatalf("key %s did not change, but the event names it", k)
				}
				continue
			}
			if !inB || !inA || !same(b, o, inO) || !same(a, n, inN) {
				t.Fatalf("key %s: %q (%t) -> %q (%t); event %v -> %v", k, o, inO, n, inN, deref(b), deref(a))
			}
		}
		if len(before) != len(after) {
			t.Fatalf("event before has %d keys, after %d", len(before), len(after))
		}
	})
}

func keysOf(ms ...map[string]string) map[string]bool {
	out := map[string]bool{}
	for _, m := range ms {
		for k := range m {
			out[k] = true
		}
	}
	return out
}

// same reports whether p is the value v (present) or nil (absent).
func same(p *string, v string, present bool) bool {
	if !present {
		return p == nil
	}
	return p != nil && *p == v
}

func deref(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}

// FuzzLogo checks the logo rule on any text: what it accepts is short,
// valid UTF-8 without control characters or spaces, and an absolute http
// or https URL with a host and no credentials; it never panics.
func FuzzLogo(f *testing.F) {
	for _, s := range []string{"", "https://example.com/l.png", "http://[::1]/", "javascript:x", "https://u@h/", "https:///x", "https://h/a b", "HTTP://H"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, logo string) {
		a := isLogo(logo)
		if err := a.check(); err != nil || logo == "" {
			return
		}
		if len(logo) > MaxLogoBytes || !utf8.ValidString(logo) || textRule(logo, MaxLogoBytes) != "" || strings.ContainsAny(logo, " \u00a0") {
			t.Fatalf("accepted %q", logo)
		}
		u, err := url.Parse(logo)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil {
			t.Fatalf("accepted %q: %+v, %v", logo, u, err)
		}
	})
}
