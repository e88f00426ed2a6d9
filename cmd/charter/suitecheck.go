package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/charterhq/charter/policy"
	"gopkg.in/yaml.v3"
)

// This file checks a decoded suite against its policy, and parses the
// dates, durations and times its steps give.

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

// suggest returns ` (did you mean "x"?)` for the name of names a typo of s
// most likely meant (policy.Nearest), or the one name s begins, when only
// one does (use_ai for use_ai_features); "" otherwise.
func suggest(s string, names []string) string {
	best := policy.Nearest(s, names)
	if best == "" && len(s) >= 3 {
		for _, n := range names {
			if strings.HasPrefix(n, s) && n != s {
				if best != "" {
					return ""
				}
				best = n
			}
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}
