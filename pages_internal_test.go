package charter

import "testing"

// FuzzPageCursor checks that a composite cursor reads back as the key it
// was made of, and that reading any text either fails or gives a key.
func FuzzPageCursor(f *testing.F) {
	f.Add(int64(1733300000000000), "inv_abc", "1:x")
	f.Add(int64(-1), "", ":")
	f.Add(int64(0), "a:b", "x")
	f.Fuzz(func(t *testing.T, n int64, text, raw string) {
		gotN, gotText, err := parseKeyCursor(keyCursor(n, text))
		if err != nil || gotN != n || gotText != text {
			t.Fatalf("parseKeyCursor(keyCursor(%d, %q)) = %d, %q, %v", n, text, gotN, gotText, err)
		}
		if n, text, err := parseKeyCursor(raw); err == nil {
			if again, _, err := parseKeyCursor(keyCursor(n, text)); err != nil || again != n {
				t.Fatalf("cursor %q read as %d, %q, which does not read back", raw, n, text)
			}
		}
	})
}
