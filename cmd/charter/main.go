// Charter checks, renders, explains and tests charter policy files.
//
// Usage:
//
//	charter check FILE...
//	charter matrix FILE
//	charter explain FILE -role ROLE -action ACTION [-plan PLAN] [-kind personal|shared]
//	                [-project NAME] [-granted P1,P2,...] [-guests-disabled]
//	charter test [-v] SUITE|DIR...
//	charter test [-v] FILE CASES.yaml
//	charter fmt FILE
//	charter import -policy FILE [-store URL] [-batch N] FILE
//	charter help [COMMAND]
//
// Check loads each policy file and prints
//
//	ok credit-pool (4 roles, 13 actions, 1 plan)
//
// or every mistake the loader found, one per line, as
//
//	policy: studio.yaml:61:27: billing action "change_billing" granted to non-admin role "editor" (role declared at studio.yaml:19:3)
//
// Matrix prints the policy's role x action table as Markdown.
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
// Fmt prints the policy in canonical form: every section in the order of
// the grammar, defaults left out.
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
// The exit status is 0 on success, 1 when a policy does not load, a check is
// denied or a case fails, and 2 on a usage error.
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
  charter check FILE...
  charter matrix FILE
  charter explain FILE -role ROLE -action ACTION [-plan PLAN] [-kind personal|shared]
                  [-project NAME] [-granted P1,P2,...] [-guests-disabled]
  charter test [-v] SUITE|DIR...
  charter test [-v] FILE CASES.yaml
  charter fmt FILE
  charter import -policy FILE [-store URL] [-batch N] FILE
  charter help [COMMAND]

commands:
  check    load each policy and report its size or every mistake in it
  matrix   print the role x action table as Markdown
  explain  decide one action for one role and say why
  test     run policy test suites on the real Service (see charter help test)
  fmt      print the policy in canonical form
  import   bring existing workspaces (JSON Lines) into a store
`

// command is one subcommand: its flags, positional arguments and body.
type command struct {
	usage string // the synopsis after "usage: charter "
	min   int    // fewest positional arguments
	max   int    // most positional arguments; -1 for no limit
	// flags declares the command's flags on fs and returns the body, which
	// runs with the positional arguments once the flags are parsed.
	flags func(fs *flag.FlagSet) func(args []string, stdout, stderr io.Writer) int
}

func commands() map[string]command {
	return map[string]command{
		"check":   {usage: "check FILE...", min: 1, max: -1, flags: checkFlags},
		"matrix":  {usage: "matrix FILE", min: 1, max: 1, flags: matrixFlags},
		"explain": {usage: "explain FILE -role ROLE -action ACTION [flags]", min: 1, max: 1, flags: explainFlags},
		"test":    {usage: "test [-v] SUITE|DIR... | test [-v] FILE CASES.yaml", min: 1, max: -1, flags: testFlags},
		"fmt":     {usage: "fmt FILE", min: 1, max: 1, flags: fmtFlags},
		"import":  {usage: "import -policy FILE [-store URL] [-batch N] FILE", min: 1, max: 1, flags: importFlags},
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
		fs.Usage()
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

// load loads the policy at path, printing every error on failure.
func load(path string, stderr io.Writer) (*policy.Policy, bool) {
	p, err := policy.LoadFile(path)
	if err != nil {
		var list policy.ErrorList
		if errors.As(err, &list) {
			for _, e := range list {
				fmt.Fprintln(stderr, e)
			}
		} else {
			fmt.Fprintln(stderr, err)
		}
		return nil, false
	}
	return p, true
}

func checkFlags(*flag.FlagSet) func([]string, io.Writer, io.Writer) int {
	return func(files []string, stdout, stderr io.Writer) int {
		status := exitOK
		for _, file := range files {
			p, ok := load(file, stderr)
			if !ok {
				status = exitFailure
				continue
			}
			fmt.Fprintf(stdout, "ok %s (%s, %s, %s)\n", p.Name(),
				count(len(p.Roles()), "role"), count(len(p.Actions()), "action"), count(len(p.Plans()), "plan"))
		}
		return status
	}
}

// count returns "1 role", "2 roles" and so on.
func count(n int, noun string) string {
	if n != 1 {
		noun += "s"
	}
	return fmt.Sprintf("%d %s", n, noun)
}

func matrixFlags(*flag.FlagSet) func([]string, io.Writer, io.Writer) int {
	return func(files []string, stdout, stderr io.Writer) int {
		p, ok := load(files[0], stderr)
		if !ok {
			return exitFailure
		}
		fmt.Fprint(stdout, p.Matrix())
		return exitOK
	}
}

func fmtFlags(*flag.FlagSet) func([]string, io.Writer, io.Writer) int {
	return func(files []string, stdout, stderr io.Writer) int {
		p, ok := load(files[0], stderr)
		if !ok {
			return exitFailure
		}
		stdout.Write(p.YAML())
		return exitOK
	}
}

func explainFlags(fs *flag.FlagSet) func([]string, io.Writer, io.Writer) int {
	var s scenario
	var granted string
	fs.StringVar(&s.Role, "role", "", "the `ROLE` the actor holds (required)")
	fs.StringVar(&s.Action, "action", "", "the `ACTION` to decide (required)")
	fs.StringVar(&s.Plan, "plan", "", "the workspace's `PLAN` (default the policy's default plan)")
	fs.StringVar(&s.Kind, "kind", "shared", "the workspace's `KIND`: personal or shared")
	fs.StringVar(&s.Project, "project", "", "the `PROJECT` acted on (default none in particular)")
	fs.StringVar(&granted, "granted", "", "comma-separated `PROJECTS` granted to a guest role")
	fs.BoolVar(&s.GuestsDisabled, "guests-disabled", false, "switch guests off in the workspace")
	return func(files []string, stdout, stderr io.Writer) int {
		if s.Role == "" || s.Action == "" {
			fmt.Fprintln(stderr, "charter explain: -role and -action are required")
			fs.Usage()
			return exitUsage
		}
		if granted != "" {
			s.Granted = strings.Split(granted, ",")
		}
		p, ok := load(files[0], stderr)
		if !ok {
			return exitFailure
		}
		d, err := s.decide(p)
		if err != nil {
			fmt.Fprintf(stderr, "charter explain: %v\n", err)
			return exitUsage
		}
		fmt.Fprintln(stdout, d)
		if !d.Allowed {
			return exitFailure
		}
		return exitOK
	}
}
