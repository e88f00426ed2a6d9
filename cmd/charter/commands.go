package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/charterhq/charter/policy"
)

// This file holds the small commands: check, matrix, fmt, schema and
// explain, each its doc and its flags. The larger ones have their own files.

const checkDoc = `Check loads each policy file, and each *.yaml and *.yml file under each
directory, and prints "ok FILE (NAME: N roles, N actions, N plans)" for a
good one. For a bad one it prints every mistake on standard error, one per
line, as "file:line:col: message", the form editors, grep -n style tools
and CI annotations read. A summary line follows. The exit status is 1 if
any file has a mistake or cannot be read.
`

func checkFlags(*flag.FlagSet) func([]string, io.Writer, io.Writer) int {
	return func(args []string, stdout, stderr io.Writer) int {
		files, errs := policyFiles(args)
		nerr, bad := 0, 0
		for _, err := range errs {
			nerr += printError(stderr, err)
		}
		for _, file := range files {
			p, err := policy.LoadFile(file, policy.MaxSize(maxPolicySize))
			if err != nil {
				nerr += printError(stderr, err)
				bad++
				continue
			}
			fmt.Fprintf(stdout, "ok %s (%s: %s, %s, %s)\n", file, p.Name(),
				count(len(p.Roles()), "role"), count(len(p.Actions()), "action"), count(len(p.Plans()), "plan"))
		}
		summary := fmt.Sprintf("checked %s: %d ok", count(len(files), "file"), len(files)-bad)
		if bad > 0 {
			summary += fmt.Sprintf(", %d with errors", bad)
		}
		if nerr > 0 {
			fmt.Fprintf(stdout, "%s (%s)\n", summary, count(nerr, "error"))
			return exitFailure
		}
		fmt.Fprintln(stdout, summary)
		return exitOK
	}
}

// count returns "1 role", "2 roles" and so on.
func count(n int, noun string) string {
	if n != 1 {
		noun += "s"
	}
	return fmt.Sprintf("%d %s", n, noun)
}

const matrixDoc = `Matrix prints the policy's role x action table: a row per action, a column
per role, and, where the policy uses them, columns for the action's cost,
whether it is a billing action, whether it is project-scoped, the plan
feature it needs and the plans that have it ("none" when no plan does),
and the workspace kinds it is limited to. A guest role's cell on a project-scoped action reads "granted
projects only". The formats:

  md    a Markdown table (the default)
  html  a standalone HTML page holding the table, every text escaped
  csv   a header record, then one record per action: action, description,
        one column per role (allowed, denied or granted projects only),
        scope, kinds, billing, cost_amount, cost_currency, feature, plans
  json  the table as policy.Table encodes it: policy, roles (name,
        description, owner, admin, guest, plans offering it), plans (name,
        description, default, features), currencies, and actions (name,
        description, scope, kinds, billing, cost {currency, amount},
        feature, plans, roles [{role, allowed, limit}])
`

func matrixFlags(fs *flag.FlagSet) func([]string, io.Writer, io.Writer) int {
	format := fs.String("format", "md", "the output `FORMAT`: md, html, csv or json")
	return func(files []string, stdout, stderr io.Writer) int {
		write, ok := matrixFormats[*format]
		if !ok {
			fmt.Fprintf(stderr, "charter matrix: unknown format %q (formats: md, html, csv, json)\n", *format)
			return exitUsage
		}
		p, ok := load(files[0], stderr)
		if !ok {
			return exitFailure
		}
		if err := write(stdout, p); err != nil {
			fmt.Fprintf(stderr, "charter matrix: %v\n", err)
			return exitFailure
		}
		return exitOK
	}
}

const fmtDoc = `Fmt lays each policy file, and each *.yaml and *.yml file under each
directory, out in the standard form: two-space indents, one space after a
colon or a dash, at most one blank line between entries and none after a
key that opens a block, no trailing blanks. Every comment is kept, as are
the order of every section, key and list and each value's style (flow or
block list, quotes, literal text). A formatted file formats to itself, and
means exactly what it meant before; fmt refuses, with an error, a file it
cannot format without losing a comment or changing a value.

Without flags, fmt prints the formatted files. With -l it lists the files
whose formatting differs, with -d it prints the changes as a unified diff,
and with -w it rewrites the files that differ, each through a temporary
file renamed over it, keeping its permissions. The exit status is 1 when
a file cannot be read or formatted, or, with -d, when a file's formatting
differs, so that CI can run "charter fmt -d DIR"; -l, as gofmt's, exits 0.
`

func fmtFlags(fs *flag.FlagSet) func([]string, io.Writer, io.Writer) int {
	write := fs.Bool("w", false, "write the result to each file that differs instead of printing it")
	list := fs.Bool("l", false, "list the files whose formatting differs")
	diff := fs.Bool("d", false, "print a unified diff of the changes instead of the result")
	return func(args []string, stdout, stderr io.Writer) int {
		files, errs := policyFiles(args)
		status := exitOK
		for _, err := range errs {
			printError(stderr, err)
			status = exitFailure
		}
		for _, file := range files {
			src, err := readCapped(file, maxPolicySize)
			if err != nil {
				printError(stderr, err)
				status = exitFailure
				continue
			}
			out, err := policy.Format(file, src)
			if err != nil {
				printError(stderr, err)
				status = exitFailure
				continue
			}
			changed := !bytes.Equal(src, out)
			if !*list && !*diff && !*write {
				stdout.Write(out)
				continue
			}
			if !changed {
				continue
			}
			if *list {
				fmt.Fprintln(stdout, file)
			}
			if *write {
				if err := writeAtomic(file, out); err != nil {
					fmt.Fprintf(stderr, "charter fmt: %v\n", err)
					status = exitFailure
				}
			}
			if *diff {
				fmt.Fprintf(stdout, "diff %s.orig %s\n%s", file, file, unifiedDiff(file+".orig", file, src, out))
				status = exitFailure
			}
		}
		return status
	}
}

const schemaDoc = `Schema prints the JSON Schema (draft 2020-12) of the policy file. Saved
next to the policies, it gives editors with a YAML language server
completion, hover documentation and checks as you type, through a first
line such as

  # yaml-language-server: $schema=./policy.schema.json

The schema checks each value's shape; charter check remains the authority.
`

func schemaFlags(*flag.FlagSet) func([]string, io.Writer, io.Writer) int {
	return func(_ []string, stdout, _ io.Writer) int {
		stdout.Write(policy.Schema())
		return exitOK
	}
}

const explainDoc = `Explain builds a workspace of the given kind (default shared) on the given
plan (default the policy's default plan) in which the user "you" holds
ROLE, asks the policy whether "you" may perform ACTION (on project NAME, if
given), and prints the decision with the policy line that made it:

  $ charter explain team-guests.yaml -role guest -action view_project -project roadmap -granted design
  denied: guest role guest may view_project only on granted projects, not "roadmap" (team-guests.yaml:36:12)

A guest role needs -granted, the projects granted to it. When ROLE is the
owner role, "you" is the workspace's owner; otherwise the owner is another
user. A role the plan does not offer is put into the workspace anyway, as a
plan downgrade would leave it, so that explain shows the denial. The exit
status is 0 when allowed, 1 when denied.
`

const testDoc = `Test runs policy test suites: each SUITE, and each *.yaml and *.yml file
under each DIR, names a policy and runs its scenarios, steps on the real
Service over a memory store, and its cases, decisions of the policy alone.
With a policy FILE and a CASES.yaml list, it checks those cases against
the policy. Suite and cases files are capped at 4 MiB. Test prints each
failing step or case with its file:line, then "N passed, M failed"; the
exit status is 1 when one fails. The format, in full (also in
docs/policy-tests.md):
`

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
		d, err := s.Decide(p)
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
