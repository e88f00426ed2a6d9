package main

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/charterhq/charter/policy"
	"gopkg.in/yaml.v3"
)

// This file decodes the steps of a suite's scenarios: each step's verb,
// fields and values, and the workspaces and invitations it refers to.

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
