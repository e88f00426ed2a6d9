package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/charterhq/charter/policy"
)

// maxSuiteSize is the largest suite or cases file charter test reads.
const maxSuiteSize = 4 << 20

// suiteHelp is the format of a suite, printed by "charter help test"; the
// complete guide with an example is docs/policy-tests.md.
const suiteHelp = `
A suite is a YAML mapping:

  policy: ../policies/spaces.yaml   # the policy, relative to the suite (required)
  start: 2026-01-01                 # the clock when each scenario starts (default 2026-01-01)
  cases: [...]                      # role x action cases, {role, action, [plan], [kind], [project],
                                    # [granted], [guests_disabled], allow, [reason]}, decided by
                                    # the policy alone; or the path of a cases file
  setup: [...]                      # steps run at the start of every scenario
  scenarios:                        # each runs on a new Service over an empty memory store
    - name: members spend the shared credits
      steps: [...]

A step is a mapping with one verb, whose value is its subject, and fields,
e.g.

  - spend: use_ai_features
    by: bob
    want: insufficient_credits

The verbs:

  create: HANDLE        by [kind: personal|shared] [plan]   (shared: CreateWorkspace, personal: EnsurePersonal)
  invite: EMAIL         by [in] [role | project] [as: HANDLE]  (project: a guest invitation)
  link: HANDLE          by [in] [uses] [ttl]
  accept: INVITATION    by [email]                          (email defaults to the invited address)
  revoke: INVITATION    by
  grant: PROJECT        by [in] member
  change_role: USER     by [in] role
  transfer: USER        by [in]
  remove: USER          by [in]
  leave: USER           [in]
  change_plan: PLAN     by [in]
  guests: on|off        by [in]
  delete: HANDLE        by
  fund: AMOUNT          by [in] [currency] [expires: DATE|+DURATION] [key]
  allowance: AMOUNT     by [in] member [currency]
  spend: ACTION         by [in] [key] [times: N]            (times: N spends, each with its own key)
  refund: KEY           by [in]
  pay: AMOUNT           by [in] [currency] [key]
  earn: AMOUNT          by [in] [currency] [key]
  clock: +DURATION|DATE (advance the clock, e.g. +30d, +1h30m, or set it to 2026-03-01)
  check: ACTION         by [in] [project] want: allowed|denied [reason]
  balance: AMOUNT       by [in] [currency] [left: ALLOWANCE-LEFT]
  workspace: HANDLE     [owner] [billing] [plan] [kind] [members: {USER: ROLE, ...}]
  event: TYPE           [in] [subject] [amount] [times: N]
        (the workspace recorded an event of TYPE, e.g. seat.charged, after the
        one the previous event step matched; with times, exactly N such events)

in defaults to the workspace created last; currency to the policy's only
currency. Every step may have name (a label for messages) and want: ok (the
default) or the error expected: forbidden, not_found, conflict,
limit_exceeded, invalid, expired, used, revoked, insufficient_credits,
allowance_exceeded, idempotency_mismatch. With want: forbidden (and for
check), reason is the decision's reason, e.g. "plan lacks feature"; with
limit_exceeded, limit names the limit (members, seats, guests,
shared_workspaces); error is a substring of the error's text.

A scenario stops at its first failing step, which is printed as
"suite.yaml:LINE:COL: step "NAME": want W, got G". Unknown fields, names the
policy lacks and handles never created are errors before anything runs.

The older form "charter test POLICY CASES.yaml" runs a cases file (a YAML
list) against a policy; a suite's cases: field holds the same cases.
Arguments may be directories: every *.yaml and *.yml file in them is a
suite. See docs/policy-tests.md.
`

// A suite is a policy with the scenarios and cases it must pass.
type suite struct {
	path       string
	policyPath string     // resolved against the suite's directory
	policyNode *yaml.Node // the policy: value, for its position
	start      time.Time
	cases      []testCase
	setup      []*step
	scenarios  []*suiteScenario
}

// A suiteScenario is a named list of steps, run after the suite's setup.
type suiteScenario struct {
	name      string
	line, col int
	steps     []*step
}

// A step is one operation, check or assertion of a scenario, as decoded:
// the verb and its value, and the fields the verb takes.
type step struct {
	line, col int
	verb      string
	arg       string            // the verb's value
	members   map[string]string // the members of a workspace step
	ws        string            // the workspace handle: in, resolved

	Name, By, In, Kind, Plan, As, Role, Project, Email, Member string
	Currency, Key, Expires, TTL, Owner, Billing, Subject       string
	Uses, Times, Left, Amount                                  *int64
	Want, Reason, Limit, Error                                 string

	keys map[string]*yaml.Node // the fields given, by name
}

// label names the step in messages: its name, or what it does.
func (s *step) label() string {
	if s.Name != "" {
		return s.Name
	}
	l := s.verb + " " + s.arg
	if s.By != "" {
		l += " by " + s.By
	}
	return l
}

// A verb says what a step's value is and which fields the step takes.
type verb struct {
	arg      string   // the value's meaning, for messages
	fields   []string // the fields beyond those every step takes
	required []string // fields that must be given
	inWS     bool     // the step acts in a workspace: in applies
}

// commonFields are taken by every step.
var commonFields = []string{"name", "want", "reason", "limit", "error"}

// verbs are the verbs of steps, by name.
var verbs = map[string]verb{
	"create":      {arg: "a workspace handle", fields: []string{"by", "kind", "plan"}, required: []string{"by"}},
	"invite":      {arg: "an email address", fields: []string{"by", "in", "role", "project", "as"}, required: []string{"by"}, inWS: true},
	"link":        {arg: "an invitation handle", fields: []string{"by", "in", "uses", "ttl"}, required: []string{"by"}, inWS: true},
	"accept":      {arg: "an invitation handle", fields: []string{"by", "email"}, required: []string{"by"}},
	"revoke":      {arg: "an invitation handle", fields: []string{"by"}, required: []string{"by"}},
	"grant":       {arg: "a project", fields: []string{"by", "in", "member"}, required: []string{"by", "member"}, inWS: true},
	"change_role": {arg: "a user", fields: []string{"by", "in", "role"}, required: []string{"by", "role"}, inWS: true},
	"transfer":    {arg: "a user", fields: []string{"by", "in"}, required: []string{"by"}, inWS: true},
	"remove":      {arg: "a user", fields: []string{"by", "in"}, required: []string{"by"}, inWS: true},
	"leave":       {arg: "a user", fields: []string{"in"}, inWS: true},
	"change_plan": {arg: "a plan", fields: []string{"by", "in"}, required: []string{"by"}, inWS: true},
	"guests":      {arg: "on or off", fields: []string{"by", "in"}, required: []string{"by"}, inWS: true},
	"delete":      {arg: "a workspace handle", fields: []string{"by"}, required: []string{"by"}},
	"fund":        {arg: "an amount", fields: []string{"by", "in", "currency", "expires", "key"}, required: []string{"by"}, inWS: true},
	"allowance":   {arg: "an amount", fields: []string{"by", "in", "member", "currency"}, required: []string{"by", "member"}, inWS: true},
	"spend":       {arg: "an action", fields: []string{"by", "in", "key", "times"}, required: []string{"by"}, inWS: true},
	"refund":      {arg: "an idempotency key", fields: []string{"by", "in"}, required: []string{"by"}, inWS: true},
	"pay":         {arg: "an amount", fields: []string{"by", "in", "currency", "key"}, required: []string{"by"}, inWS: true},
	"earn":        {arg: "an amount", fields: []string{"by", "in", "currency", "key"}, required: []string{"by"}, inWS: true},
	"clock":       {arg: "+DURATION or a date"},
	"check":       {arg: "an action", fields: []string{"by", "in", "project"}, required: []string{"by"}, inWS: true},
	"balance":     {arg: "an amount", fields: []string{"by", "in", "currency", "left"}, required: []string{"by"}, inWS: true},
	"workspace":   {arg: "a workspace handle", fields: []string{"owner", "billing", "plan", "kind", "members"}},
	"event":       {arg: "an event type", fields: []string{"in", "subject", "amount", "times"}, inWS: true},
}

// verbNames are the verbs in the order of the help.
var verbNames = []string{"create", "invite", "link", "accept", "revoke", "grant", "change_role", "transfer",
	"remove", "leave", "change_plan", "guests", "delete", "fund", "allowance", "spend", "refund", "pay", "earn",
	"clock", "check", "balance", "workspace", "event"}

// wantNames are the outcomes a step may expect: ok, allowed and denied, and
// the errors of wantErrors.
var wantNames = []string{"ok", "allowed", "denied", "forbidden", "not_found", "conflict", "limit_exceeded",
	"invalid", "expired", "used", "revoked", "insufficient_credits", "allowance_exceeded", "idempotency_mismatch"}

// limitNames are the limits a limit error may name.
var limitNames = []string{"members", "seats", "guests", "shared_workspaces"}

// suiteDecoder decodes one suite file, collecting every mistake.
type suiteDecoder struct {
	path string
	errs []suiteError
}

// A suiteError is a mistake with its position, for sorting.
type suiteError struct {
	line, col int
	err       error
}

func (d *suiteDecoder) errorf(n *yaml.Node, format string, args ...any) {
	d.errs = append(d.errs, suiteError{n.Line, n.Column, fmt.Errorf("%s:%d:%d: %s", d.path, n.Line, n.Column, fmt.Sprintf(format, args...))})
}

// err returns the mistakes found in the order of the file, joined, or nil.
func (d *suiteDecoder) err() error {
	slices.SortStableFunc(d.errs, func(a, b suiteError) int {
		if a.line != b.line {
			return a.line - b.line
		}
		return a.col - b.col
	})
	errs := make([]error, len(d.errs))
	for i, e := range d.errs {
		errs[i] = e.err
	}
	return errors.Join(errs...)
}

// mapping decodes the mapping n field by field with decode, which returns
// false for a field it does not know. Unknown and repeated fields are
// reported; the fields seen are returned by name.
func (d *suiteDecoder) mapping(n *yaml.Node, what string, names []string, decode func(k, v *yaml.Node) bool) map[string]*yaml.Node {
	seen := make(map[string]*yaml.Node)
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "%s is a mapping (fields: %s)", what, strings.Join(names, ", "))
		return seen
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if prev, dup := seen[k.Value]; dup {
			d.errorf(k, "field %q repeated (first at %d:%d)", k.Value, prev.Line, prev.Column)
			continue
		}
		if !decode(k, v) {
			d.errorf(k, "unknown field %q in %s%s (fields: %s)", k.Value, what, suggest(k.Value, names), strings.Join(names, ", "))
			continue
		}
		seen[k.Value] = k
	}
	return seen
}

// decode decodes the value v of field k into out, reporting a mismatch.
func (d *suiteDecoder) decode(k, v *yaml.Node, out any) bool {
	if err := v.Decode(out); err != nil {
		d.errorf(v, "%s: %s", k.Value, decodeError(err))
		return false
	}
	return true
}

// loadSuite reads and decodes the suite at path and the policy it names,
// and checks every step against the policy. Every mistake found is
// returned, each as "path:line:col: msg", joined.
func loadSuite(path string) (*suite, *policy.Policy, error) {
	src, err := readCapped(path, maxSuiteSize)
	if err != nil {
		return nil, nil, err
	}
	return compileSuite(path, src)
}

// compileSuite is loadSuite of the suite src, read from path.
func compileSuite(path string, src []byte) (*suite, *policy.Policy, error) {
	s, err := parseSuite(path, src)
	if err != nil {
		return nil, nil, err
	}
	p, err := policy.LoadFile(s.policyPath)
	if err != nil {
		var list policy.ErrorList
		if !errors.As(err, &list) {
			return nil, nil, fmt.Errorf("%s:%d:%d: %w", path, s.policyNode.Line, s.policyNode.Column, err)
		}
		return nil, nil, err
	}
	if err := s.validate(p); err != nil {
		return nil, nil, err
	}
	return s, p, nil
}

// parseSuite decodes the suite in src, read from path: its structure, its
// fields and their types, and that every handle a step uses is created by
// an earlier step. Names of the policy are checked by validate.
func parseSuite(path string, src []byte) (*suite, error) {
	d := &suiteDecoder{path: path}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(src))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: empty suite", path)
		}
		return nil, yamlError(path, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s:%d:%d: a suite is one YAML document", path, extra.Line, extra.Column)
	}
	s := &suite{path: path, start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	root := doc.Content[0]
	if root.Kind == yaml.MappingNode {
		for i := 0; i < len(root.Content); i += 2 {
			if k := root.Content[i]; k.Value == "roles" || k.Value == "permissions" {
				return nil, fmt.Errorf("%s:%d:%d: this is a policy, not a suite: run charter test SUITE, or charter test POLICY CASES.yaml", path, k.Line, k.Column)
			}
		}
	}
	var setup, scenarios *yaml.Node
	fields := []string{"policy", "start", "cases", "setup", "scenarios"}
	seen := d.mapping(root, "a suite", fields, func(k, v *yaml.Node) bool {
		switch k.Value {
		case "policy":
			var rel string
			if d.decode(k, v, &rel) {
				if rel == "" {
					d.errorf(v, "policy: empty path")
				}
				s.policyPath, s.policyNode = filepath.Join(filepath.Dir(path), rel), v
			}
		case "start":
			var str string
			if d.decode(k, v, &str) {
				t, err := parseDate(str)
				if err != nil {
					d.errorf(v, "start: %v", err)
				}
				s.start = t
			}
		case "cases":
			if v.Kind != yaml.ScalarNode || v.Tag != "!!str" {
				s.cases = parseCases(v, d.errorf)
				break
			}
			if v.Value == "" {
				d.errorf(v, "cases: want a list of cases or the path of a cases file")
				break
			}
			file := filepath.Join(filepath.Dir(path), v.Value)
			cases, errs := readCases(file)
			for _, err := range errs {
				var pe *fs.PathError
				if errors.As(err, &pe) {
					d.errorf(v, "cases: %v", err)
				} else {
					d.errs = append(d.errs, suiteError{v.Line, v.Column, err})
				}
			}
			for i := range cases {
				cases[i].file = file
			}
			s.cases = cases
		case "setup":
			setup = v
		case "scenarios":
			scenarios = v
		default:
			return false
		}
		return true
	})
	if root.Kind == yaml.MappingNode {
		if seen["policy"] == nil {
			d.errorf(root, "a suite needs policy: the policy file, relative to the suite")
		}
		if seen["cases"] == nil && seen["scenarios"] == nil {
			d.errorf(root, "a suite needs scenarios or cases")
		}
	}
	h := newHandles()
	if setup != nil {
		s.setup = d.steps(setup, "setup", h)
	}
	if scenarios != nil {
		if scenarios.Kind != yaml.SequenceNode {
			d.errorf(scenarios, "scenarios is a list of {name: ..., steps: [...]}")
		} else {
			names := make(map[string]*yaml.Node)
			for _, n := range scenarios.Content {
				sc := d.scenario(n, h.clone())
				if sc == nil {
					continue
				}
				if prev := names[sc.name]; prev != nil {
					d.errorf(n, "scenario %q repeated (first at %d:%d)", sc.name, prev.Line, prev.Column)
				}
				names[sc.name] = n
				s.scenarios = append(s.scenarios, sc)
			}
		}
	}
	if len(d.errs) > 0 {
		return nil, d.err()
	}
	return s, nil
}

// yamlError returns a YAML syntax error as "path:line: msg", the line
// being yaml.v3's (it gives no column).
func yamlError(path string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, text, ok := strings.Cut(rest, ": "); ok {
			if _, err := strconv.Atoi(n); err == nil {
				return fmt.Errorf("%s:%s: %s", path, n, text)
			}
		}
	}
	return fmt.Errorf("%s: %s", path, msg)
}
