package policy

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// hostile is an input built to cost a loader time or memory.
type hostile struct {
	name  string
	src   func() []byte
	first string // the Text of the first error
	last  string // the Text of the last error, if not the first
	count int    // the number of errors, "too many errors" included
}

func hostileInputs(tb testing.TB) []hostile {
	repeat := func(prefix, s string, n int, suffix string) func() []byte {
		return func() []byte { return []byte(prefix + strings.Repeat(s, n) + suffix) }
	}
	return []hostile{
		{
			name: "alias bomb",
			src: func() []byte {
				var b strings.Builder
				b.WriteString("policy: t\nl0: &l0 [x, x, x, x, x, x, x, x, x, x]\n")
				for i := 1; i < 10; i++ {
					b.WriteString("l" + string(rune('0'+i)) + ": &l" + string(rune('0'+i)) + " [" + strings.Repeat("*l"+string(rune('0'+i-1))+", ", 9) + "*l" + string(rune('0'+i-1)) + "]\n")
				}
				return []byte(b.String())
			},
			first: `x.yaml:2:5: anchors and aliases are not allowed (found anchor "&l0")`,
			last:  "x.yaml:3:50: too many errors",
			count: MaxErrors + 1,
		},
		{
			name:  "500,000-deep flow nesting",
			src:   repeat("policy: t\nroles: ", "[", 500000, "\n"),
			first: "x.yaml:2:10008: yaml syntax error: exceeded max depth of 10000",
			count: 1,
		},
		{
			name:  "500,000-deep block nesting",
			src:   repeat("policy: t\nroles:\n", "- ", 500000, "\n"),
			first: "x.yaml:3:20001: yaml syntax error: exceeded max depth of 10000",
			count: 1,
		},
		{
			name:  "NUL",
			src:   func() []byte { return []byte(edit(tb, base, "  view:\n", "  vi\x00ew:\n")) },
			first: "x.yaml:22:5: NUL byte: a policy is text",
			count: 1,
		},
		{
			name:  "invalid UTF-8",
			src:   func() []byte { return []byte(edit(tb, base, "  view:\n", "  vi\xc3ew:\n")) },
			first: "x.yaml:22:5: invalid UTF-8 (byte 0xc3)",
			count: 1,
		},
		{
			name:  "1 MiB key",
			src:   repeat("policy: t\n", "k", 1<<20-100, ": 1\n"),
			first: "x.yaml:2:1: yaml syntax error: could not find expected ':' (a key is on one line, and at most 1024 characters)",
			count: 1,
		},
		{
			name:  "1 MiB value",
			src:   repeat("roles: {}\npolicy: ", "v", 1<<20-100, "\n"),
			first: `x.yaml:1:1: missing required field "actions"`,
			last:  "x.yaml:2:9: policy: name of 1048476 bytes: at most 128",
			count: 5, // the sections missing, and the name
		},
		{
			name:  "1 MiB plain scalar as a key",
			src:   repeat("policy: t\n? ", "k", 1<<20-100, "\n: 1\n"),
			first: `x.yaml:1:1: missing required field "actions"`,
			count: 5, // the sections missing, and the key (an unknown field)
		},
		{
			name:  "1 MiB of features: [1,1,...]",
			src:   repeat("policy: t\nfeatures: [", "1,", 1<<19-20, "1]\n"),
			first: `x.yaml:1:1: missing required field "actions"`,
			last:  "x.yaml:2:24: too many errors",
			count: MaxErrors + 1,
		},
		{
			name:  "50 MB",
			src:   repeat("policy: t\n#", strings.Repeat("x", 99)+"\n", 500000, ""),
			first: "x.yaml:10487:66: policy is larger than the size limit of 1048576 bytes, which it passes here",
			count: 1,
		},
	}
}

// TestHostileInputs: each hostile input is rejected with its position,
// allocating at most a bounded multiple of its size (or of the size cap,
// for input over it). What allocation measures is a parse's work, so this
// is also the time bound; BenchmarkHostile gives the times.
func TestHostileInputs(t *testing.T) {
	for _, h := range hostileInputs(t) {
		t.Run(h.name, func(t *testing.T) {
			src := h.src()
			var err error
			bytes, allocs := allocated(func() { _, err = Load("x.yaml", src) })
			list, ok := err.(ErrorList)
			if !ok {
				t.Fatalf("Load = %v, want an ErrorList", err)
			}
			if got := list[0].Text(); got != h.first {
				t.Errorf("first error:\n%.300s\nwant:\n%.300s", got, h.first)
			}
			if last := list[len(list)-1].Text(); h.last != "" && last != h.last {
				t.Errorf("last error:\n%.300s\nwant:\n%.300s", last, h.last)
			}
			if len(list) != h.count {
				t.Errorf("%d errors, want %d:\n%.2000s", len(list), h.count, list.Text())
			}
			for _, e := range list {
				if len(e.Msg) > 300 {
					t.Errorf("error of %d bytes: %.300s", len(e.Msg), e.Msg)
				}
			}
			// The baseline: what yaml.v3 allocates to parse the input
			// into a yaml.Node, at most the size cap of it.
			n := min(len(src), DefaultMaxSize+1)
			yBytes, yObjects := allocated(func() {
				var doc yaml.Node
				_ = yaml.Unmarshal(src[:n], &doc)
			})
			t.Logf("%d bytes: Load allocated %d bytes (%.1f per input byte) in %d objects; yaml.v3's parse %d bytes in %d objects",
				len(src), bytes, float64(bytes)/float64(n), allocs, yBytes, yObjects)
			if limit := 128*uint64(n) + 1<<20; bytes > limit {
				t.Errorf("allocated %d bytes, want at most %d (128 per input byte + 1 MiB)", bytes, limit)
			}
			if limit := uint64(n) + 10000; allocs > limit {
				t.Errorf("allocated %d objects, want at most %d (1 per input byte + 10,000)", allocs, limit)
			}
			if limit := 2*yBytes + 32*uint64(n) + 1<<20; bytes > limit {
				t.Errorf("allocated %d bytes, want at most %d (twice yaml.v3's parse + 32 per input byte + 1 MiB)", bytes, limit)
			}
		})
	}
}

// TestLoadFileHostile: LoadFile reads no more than the size cap of a 50 MB
// file.
func TestLoadFileHostile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.yaml")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("policy: t\n"); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(50 << 20); err != nil { // the rest reads as NULs
		t.Fatal(err)
	}
	f.Close()
	bytes, _ := allocated(func() { _, err = LoadFile(path) })
	list, ok := err.(ErrorList)
	if !ok || len(list) != 1 || list[0].Msg != "policy is larger than the size limit of 1048576 bytes, which it passes here" {
		t.Fatalf("LoadFile = %v", err)
	}
	if want := (Pos{File: path, Line: 2, Col: DefaultMaxSize - 10 + 1}); list[0].Pos != want {
		t.Errorf("at %v, want %v", list[0].Pos, want)
	}
	if limit := uint64(8 << 20); bytes > limit {
		t.Errorf("LoadFile of 50 MB allocated %d bytes, want at most %d", bytes, limit)
	}
}

// allocated returns the bytes and objects f allocates.
func allocated(f func()) (bytes, objects uint64) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc, after.Mallocs - before.Mallocs
}

// BenchmarkHostile measures loading each hostile input, next to its
// baseline: yaml.v3 parsing the same input, at most the size cap of it,
// into a yaml.Node.
func BenchmarkHostile(b *testing.B) {
	for _, h := range hostileInputs(b) {
		src := h.src()
		name := strings.ReplaceAll(h.name, " ", "_")
		b.Run(name+"/Load", func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if _, err := Load("x.yaml", src); err == nil {
					b.Fatal("loaded")
				}
			}
		})
		b.Run(name+"/yaml.v3-parse", func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				var doc yaml.Node
				_ = yaml.Unmarshal(src[:min(len(src), DefaultMaxSize+1)], &doc)
			}
		})
	}
}
