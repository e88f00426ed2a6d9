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

// handles are the workspaces and invitations created so far in a
// scenario, for checking that steps use only those.
type handles struct {
	workspaces  map[string]bool
	invitations map[string]bool
	last        string // the workspace created last
}

func newHandles() *handles {
	return &handles{workspaces: make(map[string]bool), invitations: make(map[string]bool)}
}

func (h *handles) clone() *handles {
	c := newHandles()
	for k := range h.workspaces {
		c.workspaces[k] = true
	}
	for k := range h.invitations {
		c.invitations[k] = true
	}
	c.last = h.last
	return c
}

func (d *suiteDecoder) scenario(n *yaml.Node, h *handles) *suiteScenario {
	sc := &suiteScenario{line: n.Line, col: n.Column}
	var steps *yaml.Node
	seen := d.mapping(n, "a scenario", []string{"name", "steps"}, func(k, v *yaml.Node) bool {
		switch k.Value {
		case "name":
			d.decode(k, v, &sc.name)
		case "steps":
			steps = v
		default:
			return false
		}
		return true
	})
	if n.Kind != yaml.MappingNode {
		return nil
	}
	if seen["name"] == nil || sc.name == "" {
		d.errorf(n, "a scenario needs a name")
	}
	if steps == nil {
		d.errorf(n, "a scenario needs steps")
		return sc
	}
	sc.steps = d.steps(steps, "steps", h)
	return sc
}

// steps decodes a list of steps, following the handles they create.
func (d *suiteDecoder) steps(n *yaml.Node, what string, h *handles) []*step {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "%s is a list of steps, e.g. - check: edit", what)
		return nil
	}
	var out []*step
	for _, item := range n.Content {
		if st := d.step(item, h); st != nil {
			out = append(out, st)
		}
	}
	return out
}

// stepFields are the fields of steps beyond the verbs and commonFields.
var stepFields = []string{"by", "in", "kind", "plan", "as", "role", "project", "email", "member", "currency",
	"key", "expires", "ttl", "owner", "billing", "subject", "uses", "times", "left", "amount", "members"}

// step decodes one step and checks it against its verb and the handles.
func (d *suiteDecoder) step(n *yaml.Node, h *handles) *step {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "a step is a mapping with one verb, e.g. {check: edit, by: ann, want: allowed}")
		return nil
	}
	// Find the verb first, so that the other fields are judged by it.
	var verbKey, verbVal *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; verbs[k.Value].arg != "" && verbKey == nil {
			verbKey, verbVal = k, n.Content[i+1]
		}
	}
	if verbKey == nil {
		hint := ""
		for i := 0; i < len(n.Content) && hint == ""; i += 2 {
			if !slices.Contains(stepFields, n.Content[i].Value) && !slices.Contains(commonFields, n.Content[i].Value) {
				hint = suggest(n.Content[i].Value, verbNames)
			}
		}
		d.errorf(n, "a step needs a verb%s (one of %s)", hint, strings.Join(verbNames, ", "))
		return nil
	}
	nerr := len(d.errs)
	st := &step{line: verbKey.Line, col: verbKey.Column, verb: verbKey.Value}
	v := verbs[st.verb]
	argOK := true
	if st.verb == "workspace" || verbVal.Kind == yaml.ScalarNode {
		argOK = d.decode(verbKey, verbVal, &st.arg)
	} else {
		d.errorf(verbVal, "%s: want %s, not a %s", st.verb, v.arg, nodeKind(verbVal))
		argOK = false
	}
	strs := map[string]*string{
		"name": &st.Name, "by": &st.By, "in": &st.In, "kind": &st.Kind, "plan": &st.Plan, "as": &st.As,
		"role": &st.Role, "project": &st.Project, "email": &st.Email, "member": &st.Member,
		"currency": &st.Currency, "key": &st.Key, "expires": &st.Expires, "ttl": &st.TTL, "owner": &st.Owner,
		"billing": &st.Billing, "subject": &st.Subject,
		"want": &st.Want, "reason": &st.Reason, "limit": &st.Limit, "error": &st.Error,
	}
	ints := map[string]**int64{"uses": &st.Uses, "times": &st.Times, "left": &st.Left, "amount": &st.Amount}
	mine := slices.Concat(v.fields, commonFields)
	st.keys = make(map[string]*yaml.Node)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if prev, dup := st.keys[k.Value]; dup {
			d.errorf(k, "field %q repeated (first at %d:%d)", k.Value, prev.Line, prev.Column)
			continue
		}
		st.keys[k.Value] = k
		switch {
		case k == verbKey:
			continue
		case verbs[k.Value].arg != "":
			d.errorf(k, "a step has one verb: %s and %s (at %d:%d)", verbKey.Value, k.Value, verbKey.Line, verbKey.Column)
			continue
		case slices.Contains(stepFields, k.Value) && !slices.Contains(mine, k.Value):
			d.errorf(k, "field %q does not apply to %s (its fields: %s)", k.Value, st.verb, strings.Join(mine, ", "))
			continue
		case !slices.Contains(mine, k.Value):
			d.errorf(k, "unknown field %q in %s%s (its fields: %s)", k.Value, st.verb, suggest(k.Value, mine), strings.Join(mine, ", "))
			continue
		}
		if p, ok := strs[k.Value]; ok {
			d.decode(k, val, p)
			continue
		}
		if p, ok := ints[k.Value]; ok {
			var n int64
			if d.decode(k, val, &n) {
				*p = &n
			}
			continue
		}
		d.decode(k, val, &st.members) // the only field left
	}
	for _, name := range v.required {
		if st.keys[name] == nil {
			d.errorf(verbKey, "%s needs %s", st.verb, name)
		}
	}
	if argOK {
		d.checkValues(st, verbKey)
	}
	// Follow the handles even when the step has mistakes, so that they
	// cause no more messages in the steps after it.
	d.follow(st, verbKey, h)
	if len(d.errs) > nerr {
		return nil
	}
	return st
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	}
	return "value"
}

// checkValues checks the values of a step that do not depend on the policy.
func (d *suiteDecoder) checkValues(st *step, verbKey *yaml.Node) {
	at := func(field string) *yaml.Node {
		if k := st.keys[field]; k != nil {
			return k
		}
		return verbKey
	}
	if st.arg == "" && st.verb != "workspace" {
		d.errorf(verbKey, "%s: want %s", st.verb, verbs[st.verb].arg)
		return
	}
	if st.Kind != "" && st.Kind != "personal" && st.Kind != "shared" {
		d.errorf(at("kind"), "kind: want personal or shared, got %q", st.Kind)
	}
	switch st.verb {
	case "fund", "allowance", "pay", "earn", "balance":
		if _, err := strconv.ParseInt(st.arg, 10, 64); err != nil {
			d.errorf(verbKey, "%s: want an integer amount, got %q", st.verb, st.arg)
		}
	case "guests":
		if st.arg != "on" && st.arg != "off" {
			d.errorf(verbKey, "guests: want on or off, got %q", st.arg)
		}
	case "clock":
		if _, err := parseWhen(st.arg, time.Time{}); err != nil {
			d.errorf(verbKey, "clock: %v", err)
		}
	case "create":
		if st.Kind == "personal" && st.Plan != "" {
			d.errorf(at("plan"), "a personal workspace starts on the policy's default plan: change it with a change_plan step")
		}
	case "invite":
		if st.Role != "" && st.Project != "" {
			d.errorf(at("role"), "a guest invitation (project) gets the plan's guest role: leave out role")
		}
	case "spend":
		if st.Times != nil && (*st.Times < 1 || *st.Times > 10000) {
			d.errorf(at("times"), "times: want 1 to 10000, got %d", *st.Times)
		}
		if st.Times != nil && *st.Times > 1 && st.Key != "" {
			d.errorf(at("key"), "a repeated spend has a key per spend: leave out key")
		}
	case "event":
		if st.Times != nil && *st.Times < 0 {
			d.errorf(at("times"), "times: want 0 or more, got %d", *st.Times)
		}
	case "link":
		if st.Uses != nil && (*st.Uses < 1 || *st.Uses > 10000) {
			d.errorf(at("uses"), "uses: want 1 to 10000, got %d", *st.Uses)
		}
		if st.TTL != "" {
			if _, err := parseDuration(st.TTL); err != nil {
				d.errorf(at("ttl"), "ttl: %v", err)
			}
		}
	}
	if st.Expires != "" {
		if _, err := parseWhen(st.Expires, time.Time{}); err != nil {
			d.errorf(at("expires"), "expires: %v", err)
		}
	}
	switch {
	case st.Want == "" && st.verb == "check":
		d.errorf(verbKey, "check needs want: allowed or denied")
		st.Want = "denied"
	case st.Want == "":
		st.Want = "ok"
	}
	switch {
	case !slices.Contains(wantNames, st.Want):
		d.errorf(at("want"), "unknown outcome %q%s (outcomes: %s)", st.Want, suggest(st.Want, wantNames), strings.Join(wantNames, ", "))
	case st.verb == "check" && st.Want != "allowed" && st.Want != "denied":
		d.errorf(at("want"), "check: want allowed or denied, got %q", st.Want)
	case st.verb != "check" && (st.Want == "allowed" || st.Want == "denied"):
		d.errorf(at("want"), "%s: want ok or an error (allowed and denied are for check steps)", st.verb)
	case (st.verb == "workspace" || st.verb == "event") && st.Want != "ok":
		d.errorf(at("want"), "%s: an assertion has no outcome", st.verb)
	}
	if st.Reason != "" && st.verb != "check" && st.Want != "forbidden" {
		d.errorf(at("reason"), "reason is for check steps and want: forbidden")
	}
	if st.Reason != "" && !slices.Contains(reasonNames(), st.Reason) {
		d.errorf(at("reason"), "unknown reason %q%s (reasons: %s)", st.Reason, suggest(st.Reason, reasonNames()), strings.Join(reasonNames(), ", "))
	}
	if st.verb == "check" && st.Want == "allowed" && st.Reason != "" && st.Reason != policy.Allowed.String() {
		d.errorf(at("reason"), "reason %q contradicts want: allowed", st.Reason)
	}
	if st.Limit != "" && st.Want != "limit_exceeded" {
		d.errorf(at("limit"), "limit is for want: limit_exceeded")
	}
	if st.Limit != "" && !slices.Contains(limitNames, st.Limit) {
		d.errorf(at("limit"), "unknown limit %q%s (limits: %s)", st.Limit, suggest(st.Limit, limitNames), strings.Join(limitNames, ", "))
	}
	if st.Error != "" && (st.Want == "ok" || st.verb == "check") {
		d.errorf(at("error"), "error is for steps that want an error")
	}
}

// follow resolves the handles st uses, and records those it creates when
// it succeeds.
func (d *suiteDecoder) follow(st *step, verbKey *yaml.Node, h *handles) {
	if verbs[st.verb].inWS {
		st.ws = st.In
		if st.ws == "" {
			st.ws = h.last
		}
		switch {
		case st.ws == "":
			d.errorf(verbKey, "%s: no workspace is created before this step: create one, or name it with in", st.verb)
		case !h.workspaces[st.ws]:
			d.errorf(st.keys["in"], "in: no workspace %q is created before this step%s", st.ws, suggest(st.ws, keys(h.workspaces)))
		}
	}
	switch st.verb {
	case "accept", "revoke":
		if !h.invitations[st.arg] {
			d.errorf(verbKey, "%s: no invitation %q is made before this step%s", st.verb, st.arg, suggest(st.arg, keys(h.invitations)))
		}
	case "delete", "workspace":
		if !h.workspaces[st.arg] {
			d.errorf(verbKey, "%s: no workspace %q is created before this step%s", st.verb, st.arg, suggest(st.arg, keys(h.workspaces)))
		}
	}
	if st.Want != "ok" {
		return
	}
	switch st.verb {
	case "create":
		h.workspaces[st.arg], h.last = true, st.arg
	case "invite":
		if st.As == "" {
			st.As = st.arg
		}
		h.invitations[st.As] = true
	case "link":
		h.invitations[st.arg] = true
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// validate checks the names every step and case uses against p: actions,
// roles, plans and currencies, and fills in the default currency.
func (s *suite) validate(p *policy.Policy) error {
	d := &suiteDecoder{path: s.path}
	var actions, roles, plans, currencies []string
	for _, a := range p.Actions() {
		actions = append(actions, a.Name)
	}
	for _, r := range p.Roles() {
		roles = append(roles, r.Name)
	}
	for _, pl := range p.Plans() {
		plans = append(plans, pl.Name)
	}
	for _, c := range p.Currencies() {
		currencies = append(currencies, c.Name)
	}
	for _, c := range s.cases {
		if _, err := c.Decide(p); err != nil {
			file := s.path
			if c.file != "" {
				file = c.file
			}
			d.errs = append(d.errs, suiteError{c.line, c.col, fmt.Errorf("%s:%d:%d: case %s: %v", file, c.line, c.col, c.scenario, err)})
		}
	}
	steps := s.setup
	for _, sc := range s.scenarios {
		steps = append(steps, sc.steps...)
	}
	for _, st := range steps {
		pos := &yaml.Node{Line: st.line, Column: st.col}
		at := func(field string) *yaml.Node {
			if k := st.keys[field]; k != nil {
				return k
			}
			return pos
		}
		name := func(field, what, value string, names []string) {
			if value != "" && !slices.Contains(names, value) {
				plural := what + "s"
				if what == "currency" {
					plural = "currencies"
				}
				d.errorf(at(field), "policy %s has no %s %q%s (%s: %s)", p.Name(), what, value, suggest(value, names), plural, strings.Join(names, ", "))
			}
		}
		switch st.verb {
		case "check":
			name(st.verb, "action", st.arg, actions)
		case "spend":
			name(st.verb, "action", st.arg, actions)
			if a := p.Action(st.arg); a != nil && a.Cost.Amount == 0 {
				d.errorf(pos, "spend: action %s costs nothing: use a check step", st.arg)
			}
		case "change_plan":
			name(st.verb, "plan", st.arg, plans)
		}
		name("plan", "plan", st.Plan, plans)
		name("role", "role", st.Role, roles)
		for u, r := range st.members {
			if !slices.Contains(roles, r) {
				d.errorf(at("members"), "members: %s: policy %s has no role %q%s (roles: %s)", u, p.Name(), r, suggest(r, roles), strings.Join(roles, ", "))
			}
		}
		switch st.verb {
		case "fund", "allowance", "pay", "earn", "balance":
			switch {
			case st.Currency != "":
				name("currency", "currency", st.Currency, currencies)
			case len(currencies) == 1:
				st.Currency = currencies[0]
			case len(currencies) == 0:
				d.errorf(pos, "%s: policy %s has no currencies", st.verb, p.Name())
			default:
				d.errorf(pos, "%s needs currency: policy %s has %s", st.verb, p.Name(), strings.Join(currencies, ", "))
			}
		}
	}
	return d.err()
}

// parseDate parses a date (2026-03-01) or an RFC 3339 time, in UTC.
func parseDate(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("want a date such as 2026-03-01 or 2026-03-01T09:00:00Z, got %q", s)
	}
	return t.UTC(), nil
}

// parseDuration parses a Go duration that may start with a number of days,
// e.g. 30d, 1d12h, 90m. It must not be negative.
func parseDuration(s string) (time.Duration, error) {
	var days int64
	rest := s
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		n, err := strconv.ParseInt(s[:i], 10, 32)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("want a duration such as 30d, 1d12h or 90m, got %q", s)
		}
		days, rest = n, s[i+1:]
	}
	var dur time.Duration
	if rest != "" {
		var err error
		if dur, err = time.ParseDuration(rest); err != nil || dur < 0 {
			return 0, fmt.Errorf("want a duration such as 30d, 1d12h or 90m, got %q", s)
		}
	}
	return time.Duration(days)*24*time.Hour + dur, nil
}

// parseWhen parses "+DURATION", a time after now, or a date.
func parseWhen(s string, now time.Time) (time.Time, error) {
	if rel, ok := strings.CutPrefix(s, "+"); ok {
		dur, err := parseDuration(rel)
		if err != nil {
			return time.Time{}, err
		}
		return now.Add(dur), nil
	}
	t, err := parseDate(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("want +DURATION (e.g. +30d) or a date (e.g. 2026-03-01), got %q", s)
	}
	return t, nil
}

// suggest returns ` (did you mean "x"?)` for the name of names closest to
// s, when one is close enough to be a typo, and "" otherwise.
func suggest(s string, names []string) string {
	best, bestDist := "", max(1, len(s)/3)+1
	for _, n := range names {
		if dist := editDistance(s, n); dist < bestDist {
			best, bestDist = n, dist
		}
	}
	if best == "" {
		// A unique name that s begins, e.g. use_ai for use_ai_features.
		for _, n := range names {
			if strings.HasPrefix(n, s) && len(s) >= 3 {
				if best != "" {
					return ""
				}
				best = n
			}
		}
	}
	if best == "" || best == s {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the optimal string alignment distance between a and b,
// in bytes: insertions, deletions, substitutions and transpositions of
// neighbours.
func editDistance(a, b string) int {
	rows := make([][]int, len(a)+1)
	for i := range rows {
		rows[i] = make([]int, len(b)+1)
		rows[i][0] = i
	}
	for j := range rows[0] {
		rows[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			rows[i][j] = min(rows[i-1][j]+1, rows[i][j-1]+1, rows[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				rows[i][j] = min(rows[i][j], rows[i-2][j-2]+1)
			}
		}
	}
	return rows[len(a)][len(b)]
}
