// Charter checks, formats, renders, explains and tests charter policy files.
//
// Usage:
//
//	charter check FILE|DIR...
//	charter fmt [-w] [-l] [-d] FILE|DIR...
//	charter matrix [-format md|html|csv|json] FILE
//	charter explain FILE -role ROLE -action ACTION [-plan PLAN] [-kind personal|shared]
//	                [-project NAME] [-granted P1,P2,...] [-guests-disabled]
//	charter test [-v] SUITE|DIR...
//	charter test [-v] FILE CASES.yaml
//	charter schema
//	charter playground [-addr ADDRESS] [FILE]
//	charter import -policy FILE [-store URL] [-batch N] FILE
//	charter help [COMMAND]
//
// A directory argument stands for every *.yaml and *.yml file under it,
// recursively, in lexical order, skipping directories whose names start
// with a dot.
//
// Check loads each policy file and prints
//
//	ok testdata/policies/credit-pool.yaml (credit-pool: 4 roles, 13 actions, 1 plan)
//
// or, on standard error, every mistake the loader found, one per line, in
// the form editors and CI annotations read:
//
//	studio.yaml:61:27: billing action "change_billing" granted to non-admin role "editor" (role declared at studio.yaml:19:3)
//
// then a summary line, "checked 3 files: 2 ok, 1 with errors (4 errors)".
//
// Fmt lays each policy file out in the standard form of policy.Format
// (two-space indents, one blank line at most between entries), keeping
// every comment, the authors' order and each value's style; formatting a
// formatted file changes nothing. Without flags it prints the formatted
// files; -l lists the files whose formatting differs, -d prints the
// changes as a unified diff, and -w rewrites the files in place (through a
// temporary file renamed over the original, keeping its permissions).
//
// Matrix prints the policy's role x action table: a row per action, a
// column per role, and, where the policy uses them, the action's cost,
// whether it is a billing action, whether it is project-scoped, the plan
// feature it needs and the plans that have it, and the workspace kinds it
// is limited to. A guest role's
// cell on a project-scoped action says "granted projects only". -format
// chooses Markdown (md, the default), a standalone HTML page (html), CSV
// (csv: a header record, then one record per action) or JSON (json: the
// policy.Table type, documented field by field in package policy).
//
// Explain builds a workspace of the given kind (default shared) on the given
// plan (default the policy's default plan) in which the user "you" holds
// ROLE, asks the policy whether "you" may perform ACTION (on project NAME,
// if given), and prints the decision with the policy line that made it:
//
//	$ charter explain team-guests.yaml -role guest -action view_project -project roadmap -granted design
//	denied: guest role guest may view_project only on granted projects, not "roadmap" (team-guests.yaml:36:12)
//
// A guest role needs -granted, the projects granted to it. When ROLE is the
// owner role, "you" is the workspace's owner; otherwise the owner is another
// user. A role the plan does not offer is put into the workspace anyway, as
// a plan downgrade would leave it, so that explain shows the denial.
//
// Test runs test suites: YAML files that name a policy and hold scenarios,
// steps run against a real charter.Service on the memory store with a
// clock the suite controls (create, invite, accept, change role, transfer,
// remove, fund, set allowance, spend, advance the clock, check, ...), each
// with its expected outcome. A failing step is printed as
//
//	testdata/suites/spaces.yaml:42:7: step "member uses pro": want allowed, got denied: plan free lacks feature pro_features required by use_pro_features (testdata/policies/spaces.yaml:77:14)
//
// The format is in "charter help test" and docs/policy-tests.md. The older
// form, a policy and a cases file (a YAML list of role x action cases, the
// fields of explain plus allow and, optionally, reason), still works:
//
//	# studio-cases.yaml
//	- {role: editor, action: generate_video, plan: pro, allow: true}
//	- {role: member, action: use_pro_features, plan: free, kind: shared, allow: false, reason: plan lacks feature}
//
// Test prints each failing step or case, then "N passed, M failed"; -v
// prints passing ones too.
//
// Schema prints the JSON Schema (draft 2020-12) of the policy file, the one
// policy.Schema returns.
//
// Import brings existing workspaces into a store with Service.Import: FILE
// (or "-" for standard input) holds one JSON record per line, each
// checked against the policy (see charter.ImportRecord). It prints
// progress (records, rate, time left) to standard error at most once a
// second, and stops at the first bad record, naming its line; the batches
// before it stay, and running the fixed file again finishes the import.
// Without -store (or CHARTER_STORE) it imports into memory: a dry run that
// checks the whole file.
//
// Every file charter reads has a size cap, checked before parsing: a
// policy file 1 MiB (policy.DefaultMaxSize), a suite or cases file 4 MiB.
//
// Playground serves a page on 127.0.0.1:7878 (see -addr) to edit FILE,
// or a shipped policy, with its errors, matrix and decisions shown live.
//
// The exit status is 0 on success, 1 when a policy does not load or its
// formatting differs (fmt -d), a check is denied or a case fails, and 2 on a
// usage error.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/charterhq/charter/policy"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage:
  charter check FILE|DIR...
  charter fmt [-w] [-l] [-d] FILE|DIR...
  charter matrix [-format md|html|csv|json] FILE
  charter explain FILE -role ROLE -action ACTION [-plan PLAN] [-kind personal|shared]
                  [-project NAME] [-granted P1,P2,...] [-guests-disabled]
  charter test [-v] SUITE|DIR...
  charter test [-v] FILE CASES.yaml
  charter schema
  charter playground [-addr ADDRESS] [FILE]
  charter import -policy FILE [-store URL] [-batch N] FILE
  charter help [COMMAND]

commands:
  check       load each policy and report its size or every mistake in it
  fmt         lay policies out in the standard form, keeping every comment
  matrix      print the role x action table as Markdown, HTML, CSV or JSON
  explain     decide one action for one role and say why
  test        run policy test suites on the real Service
  schema      print the JSON Schema of the policy file
  playground  serve a local page to edit a policy and see its decisions live
  import      bring existing workspaces (JSON Lines) into a store
  help        print this, or the documentation of one command

A DIR stands for every *.yaml and *.yml file under it. Run
"charter help COMMAND" for a command's documentation and flags.
`

// command is one subcommand: its flags, positional arguments and body.
type command struct {
	usage string // the synopsis after "usage: charter "
	doc   string // what "charter help COMMAND" prints before the flags
	min   int    // fewest positional arguments
	max   int    // most positional arguments; -1 for no limit
	// flags declares the command's flags on fs and returns the body, which
	// runs with the positional arguments once the flags are parsed.
	flags func(fs *flag.FlagSet) func(args []string, stdout, stderr io.Writer) int
}

func commands() map[string]command {
	return map[string]command{
		"check":   {usage: "check FILE|DIR...", doc: checkDoc, min: 1, max: -1, flags: checkFlags},
		"fmt":     {usage: "fmt [-w] [-l] [-d] FILE|DIR...", doc: fmtDoc, min: 1, max: -1, flags: fmtFlags},
		"matrix":  {usage: "matrix [-format md|html|csv|json] FILE", doc: matrixDoc, min: 1, max: 1, flags: matrixFlags},
		"explain": {usage: "explain FILE -role ROLE -action ACTION [flags]", doc: explainDoc, min: 1, max: 1, flags: explainFlags},
		"test":    {usage: "test [-v] SUITE|DIR... | test [-v] FILE CASES.yaml", doc: testDoc + suiteHelp, min: 1, max: -1, flags: testFlags},
		"schema":  {usage: "schema", doc: schemaDoc, min: 0, max: 0, flags: schemaFlags},
		"import":  {usage: "import -policy FILE [-store URL] [-batch N] FILE|-", doc: importDoc, min: 1, max: 1, flags: importFlags},

		// The page server, in playground.go.
		"playground": {usage: "playground [-addr ADDRESS] [FILE]", doc: playgroundDoc, min: 0, max: 1, flags: playgroundFlags},
	}
}

// run runs charter with args, the command line without the program name,
// and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	name, args := args[0], args[1:]
	cmds := commands()
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) == 0 {
			fmt.Fprint(stdout, usage)
			return exitOK
		}
		cmd, ok := cmds[args[0]]
		if !ok || len(args) > 1 {
			fmt.Fprintf(stderr, "charter: help: unknown command %q\n%s", strings.Join(args, " "), usage)
			return exitUsage
		}
		fs := flagSet(args[0], cmd, stdout)
		cmd.flags(fs)
		fmt.Fprintf(stdout, "usage: charter %s\n\n%s", cmd.usage, cmd.doc)
		nflags := 0
		fs.VisitAll(func(*flag.Flag) { nflags++ })
		if nflags > 0 {
			fmt.Fprintln(stdout, "\nflags:")
			fs.PrintDefaults()
		}
		return exitOK
	}
	cmd, ok := cmds[name]
	if !ok {
		fmt.Fprintf(stderr, "charter: unknown command %q\n%s", name, usage)
		return exitUsage
	}
	fs := flagSet(name, cmd, stderr)
	body := cmd.flags(fs)
	pos, err := parse(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case err != nil:
		return exitUsage // the flag package has printed the error and usage
	case len(pos) < cmd.min || cmd.max >= 0 && len(pos) > cmd.max:
		fmt.Fprintf(stderr, "charter %s: want %s\n", name, argCount(cmd))
		fs.Usage()
		return exitUsage
	}
	out := &checkedWriter{w: stdout}
	code := body(pos, out, stderr)
	if out.err != nil {
		// A command whose output did not all get written has failed,
		// whatever it found: "charter fmt p.yaml > p.new" on a full disk
		// must not report success with half a policy.
		fmt.Fprintf(stderr, "charter %s: writing output: %v\n", name, out.err)
		return exitFailure
	}
	return code
}

// checkedWriter passes writes on to w until one fails, then remembers that
// error and writes nothing more.
type checkedWriter struct {
	w   io.Writer
	err error
}

func (c *checkedWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.err = err
	return n, err
}

func flagSet(name string, cmd command, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("charter "+name, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintf(out, "usage: charter %s\n", cmd.usage)
		fs.PrintDefaults()
	}
	return fs
}

func argCount(cmd command) string {
	switch {
	case cmd.max == 0:
		return "no arguments"
	case cmd.max < 0:
		return fmt.Sprintf("at least %d file argument(s)", cmd.min)
	case cmd.min == cmd.max && cmd.min == 1:
		return "one file argument"
	case cmd.min == cmd.max:
		return fmt.Sprintf("%d file arguments", cmd.min)
	}
	return fmt.Sprintf("%d to %d file arguments", cmd.min, cmd.max)
}

// parse parses flags and positional arguments in any order, as in
// "explain FILE -role editor", and returns the positional arguments.
// Everything after "--" is positional.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// load loads the policy at path, printing every error on failure as
// printError does. LoadFile reads at most maxPolicySize bytes of it.
func load(path string, stderr io.Writer) (*policy.Policy, bool) {
	p, err := policy.LoadFile(path, policy.MaxSize(maxPolicySize))
	if err != nil {
		printError(stderr, err)
		return nil, false
	}
	return p, true
}
