package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/policy"
)

func testFlags(fs *flag.FlagSet) func([]string, io.Writer, io.Writer) int {
	var opts runOptions
	fs.BoolVar(&opts.verbose, "v", false, "print passing scenarios and cases too")
	fs.Func("run", "run only the scenarios whose names match `REGEXP`, and no cases", func(expr string) error {
		re, err := regexp.Compile(expr)
		opts.match = re
		return err
	})
	usage := fs.Usage
	fs.Usage = func() {
		usage()
		fmt.Fprint(fs.Output(), suiteHelp)
	}
	return func(args []string, stdout, stderr io.Writer) int {
		if len(args) == 2 && isCasesFile(args[1]) {
			return runCasesFile(args[0], args[1], opts.verbose, stdout, stderr)
		}
		files, err := suiteFiles(args)
		if err != nil {
			fmt.Fprintf(stderr, "charter test: %v\n", err)
			return exitFailure
		}
		var t tally
		status := exitOK
		for _, file := range files {
			if !runSuiteFile(file, opts, &t, stdout, stderr) {
				status = exitFailure
			}
		}
		fmt.Fprintf(stdout, "%d passed, %d failed\n", t.passed, t.failed)
		return status
	}
}

// isCasesFile reports whether the file at path is a cases file: a YAML
// list, where a suite is a mapping.
func isCasesFile(path string) bool {
	src, err := readCapped(path, maxSuiteSize)
	if err != nil {
		return false
	}
	var doc yaml.Node
	if yaml.Unmarshal(src, &doc) != nil || len(doc.Content) == 0 {
		return false
	}
	return doc.Content[0].Kind == yaml.SequenceNode
}

// suiteFiles returns the suite files args name: files as given, and the
// *.yaml and *.yml files of directories, in name order.
func suiteFiles(args []string) ([]string, error) {
	var files []string
	for _, arg := range args {
		fi, err := os.Stat(arg)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			files = append(files, arg)
			continue
		}
		entries, err := os.ReadDir(arg)
		if err != nil {
			return nil, err
		}
		n := len(files)
		for _, e := range entries {
			if ext := filepath.Ext(e.Name()); !e.IsDir() && (ext == ".yaml" || ext == ".yml") {
				files = append(files, filepath.Join(arg, e.Name()))
			}
		}
		if len(files) == n {
			return nil, fmt.Errorf("%s: no *.yaml suites in the directory", arg)
		}
	}
	return files, nil
}

// runCasesFile runs a cases file against the policy at policyPath: the
// form "charter test POLICY CASES.yaml".
func runCasesFile(policyPath, casesPath string, verbose bool, stdout, stderr io.Writer) int {
	p, ok := load(policyPath, stderr)
	if !ok {
		return exitFailure
	}
	cases, err := loadCases(casesPath)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
	var t tally
	for _, c := range cases {
		msg, ok := c.run(p)
		t.add(ok)
		if !ok || verbose {
			fmt.Fprintf(stdout, "%s:%d: %s\n", casesPath, c.line, msg)
		}
	}
	fmt.Fprintf(stdout, "%d passed, %d failed\n", t.passed, t.failed)
	if t.failed > 0 {
		return exitFailure
	}
	return exitOK
}

// tally counts passed and failed scenarios and cases.
type tally struct{ passed, failed int }

func (t *tally) add(ok bool) {
	if ok {
		t.passed++
	} else {
		t.failed++
	}
}

// runSuiteFile loads and runs the suite at path, printing each failure
// and a summary line, and reports whether everything passed.
func runSuiteFile(path string, opts runOptions, total *tally, stdout, stderr io.Writer) bool {
	s, p, err := loadSuite(path)
	if err != nil {
		printErrors(stderr, err)
		fmt.Fprintf(stdout, "FAIL %s: does not load\n", path)
		total.failed++
		return false
	}
	return s.runAll(p, opts, total, stdout)
}

// runOptions are the flags of charter test.
type runOptions struct {
	verbose bool           // print what passes too
	match   *regexp.Regexp // run only the scenarios it matches, and no cases; nil for all
}

// runAll runs the suite's cases and scenarios on p, printing each failure
// and a summary line, and reports whether everything passed.
func (s *suite) runAll(p *policy.Policy, opts runOptions, total *tally, stdout io.Writer) bool {
	path, verbose := s.path, opts.verbose
	var cases, scenarios tally
	for _, c := range s.cases {
		if opts.match != nil {
			break
		}
		msg, ok := c.check(p)
		cases.add(ok)
		if !ok || verbose {
			file := path
			if c.file != "" {
				file = c.file
			}
			fmt.Fprintf(stdout, "%s:%d:%d: %s case %s\n", file, c.line, c.col, okWord(ok), msg)
		}
	}
	for _, sc := range s.scenarios {
		if opts.match != nil && !opts.match.MatchString(sc.name) {
			continue
		}
		n, msg := s.run(p, sc)
		ok := msg == ""
		scenarios.add(ok)
		if !ok {
			fmt.Fprintln(stdout, msg)
		} else if verbose {
			fmt.Fprintf(stdout, "%s:%d:%d: ok scenario %q (%s)\n", path, sc.line, sc.col, sc.name, count(n, "step"))
		}
	}
	total.passed += scenarios.passed + cases.passed
	total.failed += scenarios.failed + cases.failed
	nsc, ncase := scenarios.passed+scenarios.failed, cases.passed+cases.failed
	if scenarios.failed+cases.failed == 0 {
		fmt.Fprintf(stdout, "ok %s: %s, %s\n", path, count(nsc, "scenario"), count(ncase, "case"))
		return true
	}
	fmt.Fprintf(stdout, "FAIL %s: %d of %s and %d of %s failed\n", path,
		scenarios.failed, count(nsc, "scenario"), cases.failed, count(ncase, "case"))
	return false
}

func okWord(ok bool) string {
	if ok {
		return "ok"
	}
	return "FAIL"
}

// printErrors prints err, one line per joined error.
func printErrors(w io.Writer, err error) {
	var list policy.ErrorList
	if errors.As(err, &list) {
		for _, e := range list {
			fmt.Fprintln(w, e)
		}
		return
	}
	fmt.Fprintln(w, err)
}

// run runs the suite's setup and the scenario's steps on a new world, and
// returns how many steps ran and, when one fails, its message:
// "path:line:col: step "label": want W, got G".
func (s *suite) run(p *policy.Policy, sc *suiteScenario) (int, string) {
	ctx := context.Background()
	w, err := newWorld(p, s.start)
	if err != nil {
		return 0, fmt.Sprintf("%s:%d:%d: scenario %q: %v", s.path, sc.line, sc.col, sc.name, err)
	}
	steps := slices.Concat(s.setup, sc.steps)
	for i, st := range steps {
		if msg := w.step(ctx, st); msg != "" {
			return i + 1, fmt.Sprintf("%s:%d:%d: step %q: %s", s.path, st.line, st.col, st.label(), msg)
		}
	}
	return len(steps), ""
}

// step runs st and returns "" when its outcome is the expected one, and
// what was wanted and what happened when not.
func (w *world) step(ctx context.Context, st *step) string {
	switch st.verb {
	case "clock":
		t, _ := parseWhen(st.arg, w.now) // checked when decoded
		if t.Before(w.now) {
			return fmt.Sprintf("the clock would go back from %s to %s", w.now.Format(time.RFC3339), t.Format(time.RFC3339))
		}
		w.now = t
		return ""
	case "check":
		d, err := w.decide(ctx, st)
		want := st.Want
		if st.Reason != "" {
			want += " (" + st.Reason + ")"
		}
		switch {
		case err != nil:
			return fmt.Sprintf("want %s, got error: %v", want, err)
		case d.Allowed != (st.Want == "allowed") || st.Reason != "" && st.Reason != d.Reason.String():
			return fmt.Sprintf("want %s, got %s", want, d)
		}
		return ""
	case "balance":
		b, err := w.balance(ctx, st)
		want, _ := strconv.ParseInt(st.arg, 10, 64) // checked when decoded
		switch {
		case st.Want != "ok":
			return outcome(st, err)
		case err != nil:
			return fmt.Sprintf("want balance %s, got %s: %v", st.arg, errKind(err), err)
		case b.Available != want:
			return fmt.Sprintf("want balance %s, got %d %s", st.arg, b.Available, b.Currency)
		case st.Left != nil && !b.HasAllowance:
			return fmt.Sprintf("want allowance left %d, got no allowance", *st.Left)
		case st.Left != nil && b.AllowanceLeft != *st.Left:
			return fmt.Sprintf("want allowance left %d, got %d of %d", *st.Left, b.AllowanceLeft, b.Allowance)
		}
		return ""
	case "workspace":
		return w.assert(ctx, st)
	case "event":
		return w.event(ctx, st)
	}
	return outcome(st, w.do(ctx, st))
}

// outcome compares the error of an operation with the step's want.
func outcome(st *step, err error) string {
	if st.Want == "ok" {
		if err != nil {
			return fmt.Sprintf("want ok, got %s: %v", errKind(err), err)
		}
		return ""
	}
	want := st.Want
	if st.Reason != "" {
		want += " (" + st.Reason + ")"
	}
	if st.Limit != "" {
		want += " (" + st.Limit + ")"
	}
	if st.Error != "" {
		want += fmt.Sprintf(" (%q)", st.Error)
	}
	if err == nil {
		return fmt.Sprintf("want %s, got ok", want)
	}
	got := fmt.Sprintf("got %s: %v", errKind(err), err)
	if !errors.Is(err, wantErrors[st.Want]) {
		return "want " + want + ", " + got
	}
	if st.Reason != "" {
		if d, ok := errDecision(err); !ok || d.Reason.String() != st.Reason {
			return "want " + want + ", " + got
		}
	}
	if st.Limit != "" && !slices.Contains(errLimits(err), st.Limit) {
		return "want " + want + ", " + got
	}
	if st.Error != "" && !strings.Contains(err.Error(), st.Error) {
		return "want " + want + ", " + got
	}
	return ""
}

// errKind names the first outcome err is, or "error".
func errKind(err error) string {
	for _, name := range wantNames {
		if target := wantErrors[name]; target != nil && errors.Is(err, target) {
			return name
		}
	}
	return "error"
}

// assert compares a workspace step with the workspace in the store.
func (w *world) assert(ctx context.Context, st *step) string {
	h, members, err := w.stored(ctx, st.arg)
	if err != nil {
		return fmt.Sprintf("workspace %s: %v", st.arg, err)
	}
	var diffs []string
	for _, f := range []struct{ name, want, got string }{
		{"owner", st.Owner, h.Owner}, {"billing contact", st.Billing, h.BillingContact},
		{"plan", st.Plan, h.Plan}, {"kind", st.Kind, h.Kind.String()},
	} {
		if f.want != "" && f.want != f.got {
			diffs = append(diffs, fmt.Sprintf("want %s %s, got %s", f.name, f.want, f.got))
		}
	}
	if st.members != nil && !maps.Equal(st.members, members) {
		diffs = append(diffs, fmt.Sprintf("want members %s, got %s", formatMembers(st.members), formatMembers(members)))
	}
	return strings.Join(diffs, "; ")
}

// formatMembers prints members as {user: role, ...}, by user.
func formatMembers(m map[string]string) string {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, u := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(u + ": " + m[u])
	}
	b.WriteByte('}')
	return b.String()
}

// event finds the events an event step describes among those after the
// one the previous event step in the workspace matched.
func (w *world) event(ctx context.Context, st *step) string {
	es, err := w.events(ctx, st.ws)
	if err != nil {
		return fmt.Sprintf("events of %s: %v", st.ws, err)
	}
	want := st.arg
	if st.Subject != "" {
		want += " about " + st.Subject
	}
	if st.Amount != nil {
		want += fmt.Sprintf(" of %d", *st.Amount)
	}
	var matched []charter.Event
	var after []string
	for _, e := range es {
		if e.Seq <= w.seen[st.ws] {
			continue
		}
		desc := e.Type + " " + e.Subject
		if e.Amount != 0 {
			desc += fmt.Sprintf(" %d", e.Amount)
		}
		after = append(after, desc)
		if e.Type == st.arg && (st.Subject == "" || e.Subject == st.Subject) && (st.Amount == nil || e.Amount == *st.Amount) {
			matched = append(matched, e)
		}
	}
	got := "none"
	if len(after) > 0 {
		got = "[" + strings.Join(after, ", ") + "]"
	}
	switch {
	case st.Times != nil && int64(len(matched)) != *st.Times:
		return fmt.Sprintf("want %d events %s, got %d among %s", *st.Times, want, len(matched), got)
	case st.Times == nil && len(matched) == 0:
		return fmt.Sprintf("want event %s, got %s", want, got)
	case st.Times == nil:
		w.seen[st.ws] = matched[0].Seq
	case len(matched) > 0:
		w.seen[st.ws] = matched[len(matched)-1].Seq
	}
	return ""
}
