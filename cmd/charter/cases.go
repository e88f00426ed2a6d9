package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/charterhq/charter/policy"
)

// A testCase is one expectation of a cases file: the scenario, whether it
// is allowed and, optionally, the reason of the decision.
type testCase struct {
	scenario
	Allow  *bool  // required
	Reason string // a policy.Reason's String; "" for any
	file   string // the cases file, when not the suite holding the case
	line   int    // the case's line and column in its file
	col    int
}

// fields returns where each field of a case decodes to, by YAML key.
func (c *testCase) fields() map[string]any {
	return map[string]any{
		"role": &c.Role, "action": &c.Action, "plan": &c.Plan, "kind": &c.Kind,
		"project": &c.Project, "granted": &c.Granted, "guests_disabled": &c.GuestsDisabled,
		"allow": &c.Allow, "reason": &c.Reason,
	}
}

// caseFields are the fields a case may have, in the order of the docs.
var caseFields = []string{"role", "action", "plan", "kind", "project", "granted", "guests_disabled", "allow", "reason"}

// run decides c under p and reports whether the decision is the expected
// one, with a line saying what happened.
func (c *testCase) run(p *policy.Policy) (string, bool) {
	msg, ok := c.check(p)
	if ok {
		return "ok " + msg, true
	}
	return "FAIL " + msg, false
}

// check decides c under p and reports whether the decision is the expected
// one, with "scenario: want W, got D" when it is not and "scenario: D"
// when it is.
func (c *testCase) check(p *policy.Policy) (string, bool) {
	d, err := c.Decide(p)
	if err != nil {
		return fmt.Sprintf("%s: %v", c.scenario, err), false
	}
	want := "denied"
	if *c.Allow {
		want = "allowed"
	}
	if c.Reason != "" {
		want += " (" + c.Reason + ")"
	}
	if d.Allowed != *c.Allow || c.Reason != "" && c.Reason != d.Reason.String() {
		return fmt.Sprintf("%s: want %s, got %s", c.scenario, want, d), false
	}
	return fmt.Sprintf("%s: %s", c.scenario, d), true
}

// loadCases reads the cases file at path: one YAML document holding a list
// of mappings with the fields of caseFields. Unknown and repeated fields,
// values of the wrong type, a missing role, action or allow, and an unknown
// reason or one that contradicts allow are errors; every one found is
// returned, each as "charter: path:line:col: msg", joined.
func loadCases(path string) ([]testCase, error) {
	cases, errs := readCases(path)
	for i, err := range errs {
		errs[i] = fmt.Errorf("charter: %w", err)
	}
	return cases, errors.Join(errs...)
}

// readCases is loadCases with the errors unjoined and without the
// "charter: " before each.
func readCases(path string) ([]testCase, []error) {
	src, err := readCapped(path, maxSuiteSize)
	if err != nil {
		return nil, []error{err}
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(src))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, []error{fmt.Errorf("%s: no cases", path)}
		}
		return nil, []error{fmt.Errorf("%s: %w", path, err)}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, []error{fmt.Errorf("%s:%d:%d: a cases file is one YAML document", path, extra.Line, extra.Column)}
	}
	var errs []error
	cases := parseCases(doc.Content[0], func(n *yaml.Node, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s:%d:%d: %s", path, n.Line, n.Column, fmt.Sprintf(format, args...)))
	})
	if len(errs) > 0 {
		return nil, errs
	}
	if len(cases) == 0 {
		return nil, []error{fmt.Errorf("%s: no cases", path)}
	}
	return cases, nil
}

// parseCases decodes root, a list of cases, reporting each mistake to
// errorf, and returns the cases without mistakes.
func parseCases(root *yaml.Node, errorf func(n *yaml.Node, format string, args ...any)) []testCase {
	if root.Kind != yaml.SequenceNode {
		errorf(root, "a cases file is a list of cases, e.g. - {role: editor, action: edit, allow: true}")
		return nil
	}
	reasons := reasonNames()
	var cases []testCase
	for _, item := range root.Content {
		if item.Kind != yaml.MappingNode {
			errorf(item, "a case is a mapping, e.g. {role: editor, action: edit, allow: true}")
			continue
		}
		c := testCase{line: item.Line, col: item.Column}
		fields := c.fields()
		seen := make(map[string]*yaml.Node)
		bad := false
		for i := 0; i+1 < len(item.Content); i += 2 {
			k, v := item.Content[i], item.Content[i+1]
			field, known := fields[k.Value]
			prev, dup := seen[k.Value]
			switch {
			case !known:
				errorf(k, "unknown field %q (fields: %s)", k.Value, strings.Join(caseFields, ", "))
				bad = true
				continue
			case dup:
				errorf(k, "field %q repeated (first at %d:%d)", k.Value, prev.Line, prev.Column)
				bad = true
				continue
			}
			seen[k.Value] = k
			if err := v.Decode(field); err != nil {
				errorf(v, "%s: %s", k.Value, decodeError(err))
				bad = true
			}
		}
		if bad {
			continue
		}
		for _, f := range []struct {
			name string
			ok   bool
		}{{"role", c.Role != ""}, {"action", c.Action != ""}, {"allow", c.Allow != nil}} {
			if !f.ok {
				errorf(item, "case needs %s", f.name)
				bad = true
			}
		}
		switch {
		case c.Reason == "":
		case !slices.Contains(reasons, c.Reason):
			errorf(seen["reason"], "unknown reason %q (reasons: %s)", c.Reason, strings.Join(reasons, ", "))
			bad = true
		case c.Allow != nil && *c.Allow != (c.Reason == policy.Allowed.String()):
			errorf(seen["reason"], "reason %q contradicts allow: %t", c.Reason, *c.Allow)
			bad = true
		}
		if !bad {
			cases = append(cases, c)
		}
	}
	return cases
}

// decodeError returns the text of an error decoding one value, without the
// "yaml: unmarshal errors: line N:" yaml puts before it: the caller gives the
// value's position.
func decodeError(err error) string {
	var te *yaml.TypeError
	if !errors.As(err, &te) || len(te.Errors) == 0 {
		return err.Error()
	}
	msg := te.Errors[0]
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if _, text, ok := strings.Cut(rest, ": "); ok {
			return text
		}
	}
	return msg
}

// reasonNames returns the String of every policy.Reason.
func reasonNames() []string {
	var names []string
	for r := policy.Allowed; r < 255; r++ {
		s := r.String()
		if strings.HasPrefix(s, "Reason(") {
			break
		}
		names = append(names, s)
	}
	return names
}
