package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/charterhq/charter/internal/golden"
	"github.com/charterhq/charter/policy"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// seeds are the shipped policies, by name.
var seeds = []string{"coins", "credit-pool", "spaces", "team-guests", "video-studio"}

func seedPath(name string) string { return "../../testdata/policies/" + name + ".yaml" }

// runCmd runs charter with args and returns its exit status and output.
func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// writeFile writes a file under dir, making its directories.
func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func readSeed(t *testing.T, name string) string {
	t.Helper()
	src, err := os.ReadFile(seedPath(name))
	if err != nil {
		t.Fatal(err)
	}
	return string(src)
}

// mangled is text laid out badly: indents doubled, blank lines doubled,
// trailing blanks.
func mangled(text string) string {
	var b strings.Builder
	for line := range strings.Lines(text) {
		body := strings.TrimLeft(line, " ")
		b.WriteString(strings.Repeat(" ", 2*(len(line)-len(body))))
		if body == "\n" {
			b.WriteString("\n\n")
			continue
		}
		b.WriteString(strings.TrimSuffix(body, "\n") + "  \n")
	}
	return b.String()
}

func TestCheckDirectory(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "b.yaml", readSeed(t, "coins"))
	writeFile(t, dir, "a/z.yml", readSeed(t, "spaces"))
	writeFile(t, dir, "a/bad.yaml", "policy: x\nroles: [\n")
	writeFile(t, dir, ".git/skipped.yaml", "not: a policy\n")
	writeFile(t, dir, "notes.txt", "not yaml")
	code, stdout, stderr := runCmd(t, "check", dir)
	if code != exitFailure {
		t.Errorf("check DIR = %d, want %d", code, exitFailure)
	}
	wantOut := "ok " + filepath.Join(dir, "a/z.yml") + " (spaces: 2 roles, 11 actions, 2 plans)\n" +
		"ok " + filepath.Join(dir, "b.yaml") + " (coins: 3 roles, 7 actions, 4 plans)\n" +
		"checked 3 files: 2 ok, 1 with errors (1 error)\n"
	if stdout != wantOut {
		t.Errorf("check DIR stdout:\n%s\nwant:\n%s", stdout, wantOut)
	}
	// One line per error, file:line:col: first, nothing before it.
	bad := filepath.Join(dir, "a/bad.yaml")
	if !strings.HasPrefix(stderr, bad+":") || strings.Count(stderr, "\n") != 1 || strings.Contains(stderr, "skipped") {
		t.Errorf("check DIR stderr = %q, want one %s:line:col: error", stderr, bad)
	}

	empty := t.TempDir()
	writeFile(t, empty, "readme.md", "# nothing\n")
	if code, _, stderr := runCmd(t, "check", empty); code != exitFailure || stderr != empty+": no .yaml or .yml files in the directory\n" {
		t.Errorf("check EMPTYDIR = %d, %q; want a failure naming the directory", code, stderr)
	}
}

// TestErrorsAreEditorForm: every error check prints starts with
// file:line:col: (no "policy: " before it), for each kind of mistake.
func TestErrorsAreEditorForm(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{
		"tab.yaml":     "policy: x\nroles:\n\towner: {}\n",
		"quote.yaml":   "policy: \"x\nroles: {}\n",
		"unknown.yaml": strings.Replace(readSeed(t, "coins"), "    rank: 100\n", "    rnak: 100\n", 1),
		"type.yaml":    strings.Replace(readSeed(t, "coins"), "    rank: 100\n", "    rank: high\n", 1),
	} {
		path := writeFile(t, dir, name, text)
		code, _, stderr := runCmd(t, "check", path)
		if code != exitFailure || stderr == "" {
			t.Errorf("check %s = %d, stderr %q; want errors", name, code, stderr)
		}
		for line := range strings.Lines(stderr) {
			rest, ok := strings.CutPrefix(line, path+":")
			var l, c int
			if !ok || scanPos(rest, &l, &c) != nil {
				t.Errorf("check %s: error line %q is not %s:line:col: message", name, line, path)
			}
		}
	}
}

func scanPos(s string, line, col *int) error {
	_, err := fmt.Sscanf(s, "%d:%d: ", line, col)
	return err
}

func TestFmtFlags(t *testing.T) {
	dir := t.TempDir()
	want := readSeed(t, "team-guests")
	messy := writeFile(t, dir, "messy.yaml", mangled(want))
	if err := os.Chmod(messy, 0o600); err != nil {
		t.Fatal(err)
	}
	tidy := writeFile(t, dir, "sub/tidy.yaml", readSeed(t, "coins"))

	// No flag: the formatted files on stdout, in order, files unchanged.
	code, stdout, stderr := runCmd(t, "fmt", dir)
	if code != exitOK || stdout != want+readSeed(t, "coins") {
		t.Errorf("fmt DIR = %d, stderr %q; stdout is not the formatted files", code, stderr)
	}
	if src, _ := os.ReadFile(messy); string(src) != mangled(want) {
		t.Errorf("fmt without -w changed %s", messy)
	}

	// -l lists the file that differs only, and exits 0 as gofmt's does.
	if code, stdout, _ := runCmd(t, "fmt", "-l", dir); code != exitOK || stdout != messy+"\n" {
		t.Errorf("fmt -l DIR = %d, %q; want %q", code, stdout, messy+"\n")
	}

	// -d prints a diff that patch(1) applies, and exits 1.
	code, stdout, _ = runCmd(t, "fmt", "-d", messy, tidy)
	if code != exitFailure || !strings.HasPrefix(stdout, "diff "+messy+".orig "+messy+"\n--- "+messy+".orig\n+++ "+messy+"\n@@ -1,") {
		t.Errorf("fmt -d = %d, stdout starts %.200q", code, stdout)
	}
	if _, err := exec.LookPath("patch"); err == nil {
		patched := writeFile(t, t.TempDir(), "p.yaml", mangled(want))
		_, diff, _ := strings.Cut(stdout, "\n")
		cmd := exec.Command("patch", "-s", patched)
		cmd.Stdin = strings.NewReader(diff)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("patch: %v\n%s", err, out)
		} else if got, _ := os.ReadFile(patched); string(got) != want {
			t.Errorf("the -d diff, applied by patch, gives:\n%s", got)
		}
	}

	// -w rewrites in place, keeping the mode; then nothing differs.
	if code, stdout, stderr := runCmd(t, "fmt", "-w", dir); code != exitOK || stdout != "" {
		t.Errorf("fmt -w DIR = %d, %q, %q", code, stdout, stderr)
	}
	if src, _ := os.ReadFile(messy); string(src) != want {
		t.Errorf("fmt -w left %s:\n%s", messy, src)
	}
	if fi, err := os.Stat(messy); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("fmt -w: mode of %s = %v, %v; want 0600", messy, fi.Mode(), err)
	}
	if code, stdout, _ := runCmd(t, "fmt", "-l", "-d", dir); code != exitOK || stdout != "" {
		t.Errorf("fmt -l -d after -w = %d, %q; want nothing to do", code, stdout)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".charter-") {
			t.Errorf("fmt -w left a temporary file %s", e.Name())
		}
	}
}

func TestFmtErrors(t *testing.T) {
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.yaml", "policy: x\nroles: [a,\n")
	good := writeFile(t, dir, "good.yaml", "policy:   x\n")
	code, stdout, stderr := runCmd(t, "fmt", "-w", bad, good)
	if code != exitFailure || stdout != "" || !strings.HasPrefix(stderr, bad+":") {
		t.Errorf("fmt -w BAD GOOD = %d, %q, %q; want an error at a position of %s", code, stdout, stderr, bad)
	}
	if src, _ := os.ReadFile(bad); string(src) != "policy: x\nroles: [a,\n" {
		t.Errorf("fmt -w changed a file it could not format: %q", src)
	}
	if src, _ := os.ReadFile(good); string(src) != "policy: x\n" {
		t.Errorf("fmt -w did not go on to the good file: %q", src)
	}
}

// TestFmtKeepsComments: fmt of every shipped policy, mangled, gives back
// the file with every comment line; formatting again changes nothing; and
// the result loads as the same policy.
func TestFmtKeepsComments(t *testing.T) {
	for _, name := range seeds {
		t.Run(name, func(t *testing.T) {
			src := readSeed(t, name)
			path := writeFile(t, t.TempDir(), name+".yaml", mangled(src))
			code, out, stderr := runCmd(t, "fmt", path)
			if code != exitOK {
				t.Fatalf("fmt %s = %d, %s", path, code, stderr)
			}
			comments := func(s string) (n int) {
				for line := range strings.Lines(s) {
					if strings.Contains(line, "#") {
						n++
					}
				}
				return n
			}
			if got, want := comments(out), comments(src); got != want || want < 20 {
				t.Errorf("fmt %s: %d comment lines, want %d", name, got, want)
			}
			if out != src {
				t.Errorf("fmt of mangled %s is not the file as shipped:\n%s", name, out)
			}
			p, err := policy.Load(path, []byte(out))
			if err != nil {
				t.Fatal(err)
			}
			q, err := policy.LoadFile(seedPath(name))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(p.YAML(), q.YAML()) || p.Matrix() != q.Matrix() {
				t.Errorf("fmt %s changed the policy", name)
			}
		})
	}
}

// applyDiff applies a unified diff made by unifiedDiff to a.
func applyDiff(t *rapid.T, a, diff string) string {
	lines := splitLines(a)
	var out []string
	next := 0     // next line of a to copy
	var last byte // the kind of the last diff line
	for line := range strings.Lines(diff) {
		switch {
		case strings.HasPrefix(line, "---"), strings.HasPrefix(line, "+++"):
		case strings.HasPrefix(line, "@@ "):
			var oldStart, oldLen int
			if n, _ := fmt.Sscanf(line, "@@ -%d,%d", &oldStart, &oldLen); n < 2 {
				if _, err := fmt.Sscanf(line, "@@ -%d", &oldStart); err != nil {
					t.Fatalf("bad hunk header %q", line)
				}
				oldLen = 1
			}
			if oldLen == 0 {
				oldStart++ // "-k,0" means after line k
			}
			for ; next < oldStart-1; next++ {
				out = append(out, lines[next])
			}
		case strings.HasPrefix(line, `\`):
			if last != '-' {
				out[len(out)-1] = strings.TrimSuffix(out[len(out)-1], "\n")
			}
		case strings.HasPrefix(line, " "), strings.HasPrefix(line, "-"):
			if next >= len(lines) || strings.TrimSuffix(lines[next], "\n") != strings.TrimSuffix(line[1:], "\n") {
				t.Fatalf("diff line %q does not match line %d of the old text", line, next+1)
			}
			if line[0] == ' ' {
				out = append(out, lines[next])
			}
			next++
		case strings.HasPrefix(line, "+"):
			out = append(out, line[1:])
		default:
			t.Fatalf("unexpected diff line %q", line)
		}
		last = line[0]
	}
	out = append(out, lines[next:]...)
	return strings.Join(out, "")
}

// TestUnifiedDiff: applying the diff of a and b to a gives b.
func TestUnifiedDiff(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		words := rapid.SliceOfN(rapid.SampledFrom([]string{"a\n", "b\n", "c\n", "d\n", "e"}), 0, 40)
		a := strings.Join(words.Draw(t, "a"), "")
		b := strings.Join(words.Draw(t, "b"), "")
		d := unifiedDiff("a", "b", []byte(a), []byte(b))
		if (d == "") != (a == b) {
			t.Fatalf("unifiedDiff(%q, %q) = %q", a, b, d)
		}
		if got := applyDiff(t, a, d); got != b {
			t.Fatalf("applying\n%s\nto %q gives %q, want %q", d, a, got, b)
		}
	})
}

// TestSizeCaps: every file charter reads is capped, with a clear error,
// before it is parsed.
func TestSizeCaps(t *testing.T) {
	dir := t.TempDir()
	big := writeFile(t, dir, "big.yaml", "policy: x\n# "+strings.Repeat("x", maxPolicySize)+"\n")
	for _, args := range [][]string{
		{"check", big},
		{"matrix", big},
		{"explain", big, "-role", "owner", "-action", "x"},
		{"test", big, "testdata/team-guests-cases.yaml"},
	} {
		code, _, stderr := runCmd(t, args...)
		if want := big + ":2:1048567: policy is larger than the size limit of 1048576 bytes, which it passes here\n"; code != exitFailure || stderr != want {
			t.Errorf("%s of a policy over the cap = %d, %q; want %q", args[0], code, stderr, want)
		}
	}
	code, _, stderr := runCmd(t, "fmt", big)
	if want := big + ": file is larger than the limit of 1048576 bytes\n"; code != exitFailure || stderr != want {
		t.Errorf("fmt of a policy over the cap = %d, %q; want %q", code, stderr, want)
	}
	cases := writeFile(t, dir, "cases.yaml", "- {role: admin, action: own_data, allow: true}\n#"+strings.Repeat("x", maxSuiteSize)+"\n")
	code, _, stderr = runCmd(t, "test", teamGuests, cases)
	if want := cases + ": file is larger than the limit of 4194304 bytes\n"; code != exitFailure || !strings.Contains(stderr, want) {
		t.Errorf("test with a cases file over the cap = %d, %q; want %q", code, stderr, want)
	}
	// At the cap exactly, the file is read.
	atCap := writeFile(t, dir, "at.yaml", "policy: x\n#"+strings.Repeat("x", maxPolicySize-12)+"\n")
	if src, err := readCapped(atCap, maxPolicySize); err != nil || len(src) != maxPolicySize {
		t.Errorf("readCapped of a file of %d bytes = %d bytes, %v", maxPolicySize, len(src), err)
	}
}

// TestMatrixFormats compares charter matrix in each format for each
// shipped policy with testdata/matrix/<policy>.<format>. Regenerate with
//
//	go test ./cmd/charter -run TestMatrixFormats -update
func TestMatrixFormats(t *testing.T) {
	for _, name := range seeds {
		for _, format := range []string{"md", "html", "csv", "json"} {
			t.Run(name+"."+format, func(t *testing.T) {
				code, got, stderr := runCmd(t, "matrix", "-format", format, seedPath(name))
				if code != exitOK {
					t.Fatalf("matrix -format %s = %d, %s", format, code, stderr)
				}
				golden.Check(t, filepath.Join("testdata", "matrix", name+"."+format), got, *update)
			})
		}
	}
}

// TestMatrixMachineFormats: the JSON decodes to the policy's Table, and
// the CSV has a record per action, each as wide as the header.
func TestMatrixMachineFormats(t *testing.T) {
	for _, name := range seeds {
		p, err := policy.LoadFile(seedPath(name))
		if err != nil {
			t.Fatal(err)
		}
		_, out, _ := runCmd(t, "matrix", "-format", "json", seedPath(name))
		var got policy.Table
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("matrix -format json %s: %v", name, err)
		}
		if diff := cmp.Diff(p.Table(), got); diff != "" {
			t.Errorf("matrix -format json %s does not decode to its Table (-want +got):\n%s", name, diff)
		}
		_, out, _ = runCmd(t, "matrix", "-format", "csv", seedPath(name))
		recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatalf("matrix -format csv %s: %v", name, err)
		}
		if len(recs) != len(p.Actions())+1 || len(recs[0]) != len(p.Roles())+9 {
			t.Errorf("matrix -format csv %s: %d records of %d fields, want %d of %d", name, len(recs), len(recs[0]), len(p.Actions())+1, len(p.Roles())+9)
		}
		for i, a := range p.Actions() {
			if recs[i+1][0] != a.Name || recs[i+1][1] != a.Description {
				t.Errorf("matrix -format csv %s: record %d = %q, want action %s", name, i+1, recs[i+1][:2], a.Name)
			}
		}
	}
}

// TestMatrixEscapes: names and descriptions with markup, quotes, commas and
// pipes come out escaped for each format.
func TestMatrixEscapes(t *testing.T) {
	src := strings.Replace(readSeed(t, "video-studio"),
		"description: Generate Video\n", `description: "<script>alert('x')</script> & \"quoted\", a|b"`+"\n", 1)
	path := writeFile(t, t.TempDir(), "esc.yaml", src)
	_, html, _ := runCmd(t, "matrix", "-format", "html", path)
	if strings.Contains(html, "<script>") || !strings.Contains(html, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &#34;quoted&#34;, a|b") {
		t.Errorf("matrix -format html does not escape the description:\n%s", html)
	}
	_, md, _ := runCmd(t, "matrix", path)
	if !strings.Contains(md, `| <script>alert('x')</script> & "quoted", a\|b |`) {
		t.Errorf("matrix -format md does not escape the pipe:\n%s", md)
	}
	_, out, _ := runCmd(t, "matrix", "-format", "csv", path)
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || !slices.ContainsFunc(recs, func(r []string) bool { return r[1] == `<script>alert('x')</script> & "quoted", a|b` }) {
		t.Errorf("matrix -format csv does not round-trip the description: %v\n%s", err, out)
	}
	if code, _, stderr := runCmd(t, "matrix", "-format", "pdf", path); code != exitUsage || !strings.Contains(stderr, `unknown format "pdf"`) {
		t.Errorf("matrix -format pdf = %d, %q; want a usage error", code, stderr)
	}
}

func TestSchemaCommand(t *testing.T) {
	code, out, _ := runCmd(t, "schema")
	if code != exitOK || out != string(policy.Schema()) || !json.Valid([]byte(out)) {
		t.Errorf("schema = %d, %d bytes; want policy.Schema(), valid JSON", code, len(out))
	}
	if code, _, _ := runCmd(t, "schema", "extra"); code != exitUsage {
		t.Errorf("schema extra = %d, want %d", code, exitUsage)
	}
}

// TestHelpDocumentsEverything: "charter help CMD" documents every command
// and each of its flags, and "charter help" lists every command.
func TestHelpDocumentsEverything(t *testing.T) {
	_, top, _ := runCmd(t, "help")
	for name, cmd := range commands() {
		if !strings.Contains(top, "\n  charter "+strings.Fields(cmd.usage)[0]) || !strings.Contains(top, "\n  "+name+" ") {
			t.Errorf("charter help does not list %s", name)
		}
		code, out, _ := runCmd(t, "help", name)
		if code != exitOK || !strings.HasPrefix(out, "usage: charter "+cmd.usage+"\n\n") || len(cmd.doc) < 100 {
			t.Errorf("help %s = %d:\n%s\nwant the usage and a documentation paragraph", name, code, out)
		}
		fs := flag.NewFlagSet(name, flag.ContinueOnError)
		cmd.flags(fs)
		fs.VisitAll(func(f *flag.Flag) {
			if !strings.Contains(out, "\n  -"+f.Name) || len(f.Usage) < 10 {
				t.Errorf("help %s does not document -%s", name, f.Name)
			}
		})
	}
}

// TestFmtWriteThroughSymlink: fmt -w of a symbolic link rewrites the file
// it points to and leaves the link a link.
func TestFmtWriteThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	target := writeFile(t, dir, "real/p.yaml", "policy:    x\n")
	link := filepath.Join(dir, "link.yaml")
	if err := os.Symlink(target, link); err != nil {
		t.Skip(err)
	}
	if code, _, stderr := runCmd(t, "fmt", "-w", link); code != exitOK {
		t.Fatalf("fmt -w LINK = %d, %s", code, stderr)
	}
	if src, _ := os.ReadFile(target); string(src) != "policy: x\n" {
		t.Errorf("fmt -w LINK left the target %q", src)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("fmt -w LINK replaced the link: %v, %v", fi.Mode(), err)
	}
}
