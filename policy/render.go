package policy

import (
	"strconv"
	"strings"
)

// Table is a policy's role x action table in structured form, with what a
// reader of the table needs beside the ticks: each action's cost, whether
// it is a billing action, its scope, the plan feature it needs and the
// plans that have it. Matrix renders it as Markdown; charter matrix also
// renders it as HTML, CSV and JSON. Its JSON form (encoding/json of a
// Table) is documented field by field below; "omitempty" fields are left
// out when empty or false.
type Table struct {
	Policy     string          `json:"policy"`     // the policy's name
	Roles      []TableRole     `json:"roles"`      // in policy order: the table's columns
	Plans      []TablePlan     `json:"plans"`      // in policy order
	Currencies []TableCurrency `json:"currencies"` // in policy order
	Actions    []TableAction   `json:"actions"`    // in policy order: the table's rows
}

// TableRole is a column of a Table: one role.
type TableRole struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Owner       bool     `json:"owner,omitempty"`
	Admin       bool     `json:"admin,omitempty"`
	Guest       bool     `json:"guest,omitempty"` // acts on project-scoped actions only on granted projects
	Plans       []string `json:"plans"`           // the plans that offer the role
}

// TablePlan is a plan of a Table.
type TablePlan struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Default     bool     `json:"default,omitempty"`
	Features    []string `json:"features"` // the features the plan unlocks
}

// TableCurrency is a credit currency of a Table.
type TableCurrency struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// TableAction is a row of a Table: one action.
type TableAction struct {
	Name        string      `json:"name"`
	Description string      `json:"description,omitempty"`
	Scope       string      `json:"scope"`             // "workspace" or "project"
	Kinds       []string    `json:"kinds"`             // the workspace kinds where it applies
	Billing     bool        `json:"billing,omitempty"` // a billing action: admin roles only
	Cost        *TableCost  `json:"cost,omitempty"`    // what one use spends; nil when free
	Feature     string      `json:"feature,omitempty"` // the plan feature it needs
	Plans       []string    `json:"plans"`             // the plans that have Feature; every plan when none is needed
	Cells       []TableCell `json:"roles"`             // one per role, in Roles order
}

// Title returns the action's description, else its name.
func (a TableAction) Title() string {
	if a.Description != "" {
		return a.Description
	}
	return a.Name
}

// TableCost is what one use of an action spends.
type TableCost struct {
	Currency string `json:"currency"`
	Amount   int64  `json:"amount"`
}

// TableCell is one role's entry in a row of a Table.
type TableCell struct {
	Role    string `json:"role"`
	Allowed bool   `json:"allowed"`
	// Limit narrows an allowed cell: "granted projects only" for a guest
	// role on a project-scoped action. "" when the role is not limited.
	Limit string `json:"limit,omitempty"`
}

// GrantedOnly is the Limit of a guest role's cell on a project-scoped
// action.
const GrantedOnly = "granted projects only"

// Table returns p's role x action table.
func (p *Policy) Table() Table {
	t := Table{
		Policy:     p.name,
		Roles:      make([]TableRole, len(p.roles)),
		Plans:      make([]TablePlan, len(p.plans)),
		Currencies: make([]TableCurrency, len(p.currencies)),
		Actions:    make([]TableAction, len(p.actions)),
	}
	for i, r := range p.roles {
		tr := TableRole{Name: r.Name, Description: p.roleMeta[i].desc, Owner: r.Owner, Admin: r.Admin, Guest: r.Guest, Plans: []string{}}
		for _, pl := range p.plans {
			if pl.Offers(r) {
				tr.Plans = append(tr.Plans, pl.Name)
			}
		}
		t.Roles[i] = tr
	}
	for i, pl := range p.plans {
		t.Plans[i] = TablePlan{Name: pl.Name, Description: p.planMeta[i].desc, Default: pl == p.defPlan,
			Features: append([]string{}, p.FeatureNames(pl.Features)...)}
	}
	for i, c := range p.currencies {
		t.Currencies[i] = TableCurrency{Name: c.Name, Description: c.Description}
	}
	for i, a := range p.actions {
		ta := TableAction{Name: a.Name, Description: a.Description, Scope: a.Scope.String(),
			Kinds: []string{}, Billing: a.Billing, Feature: a.featureName, Plans: []string{}}
		for _, k := range a.Kinds.Kinds() {
			ta.Kinds = append(ta.Kinds, k.String())
		}
		if !a.Cost.IsZero() {
			ta.Cost = &TableCost{Currency: a.Cost.Currency, Amount: a.Cost.Amount}
		}
		for _, pl := range p.plans {
			if pl.Features&a.Feature == a.Feature {
				ta.Plans = append(ta.Plans, pl.Name)
			}
		}
		for _, r := range p.roles {
			c := TableCell{Role: r.Name, Allowed: a.Allowed.Has(r)}
			if c.Allowed && r.Guest && a.Scope == ScopeProject {
				c.Limit = GrantedOnly
			}
			ta.Cells = append(ta.Cells, c)
		}
		t.Actions[i] = ta
	}
	return t
}

// Columns are the optional columns of a Table's renderings: each shown
// only when some action needs it.
type Columns struct {
	Cost    bool // some action costs credits
	Billing bool // some action is a billing action
	Scope   bool // some action is project-scoped
	Feature bool // some action needs a plan feature: the Feature and Plans columns
	Kinds   bool // some action is limited to one workspace kind
}

// Columns returns the optional columns t's renderings show.
func (t Table) Columns() Columns {
	var c Columns
	for _, a := range t.Actions {
		c.Cost = c.Cost || a.Cost != nil
		c.Billing = c.Billing || a.Billing
		c.Scope = c.Scope || a.Scope != ScopeWorkspace.String()
		c.Feature = c.Feature || a.Feature != ""
		c.Kinds = c.Kinds || len(a.Kinds) != 2
	}
	return c
}

// Header returns the column titles of t's renderings: "Action", the role
// names, then, each only when some action needs it, "Cost", "Billing",
// "Scope", "Feature" and "Plans", and "Workspaces".
func (t Table) Header() []string {
	h := []string{"Action"}
	for _, r := range t.Roles {
		h = append(h, r.Name)
	}
	c := t.Columns()
	for _, col := range []struct {
		show  bool
		names []string
	}{
		{c.Cost, []string{"Cost"}},
		{c.Billing, []string{"Billing"}},
		{c.Scope, []string{"Scope"}},
		{c.Feature, []string{"Feature", "Plans"}},
		{c.Kinds, []string{"Workspaces"}},
	} {
		if col.show {
			h = append(h, col.names...)
		}
	}
	return h
}

// Row returns the cells of a's row in t's renderings, under Header: the
// action's title, then per role "✅" (with the cell's limit after it, if
// any) or "", then the optional columns' texts: "1 credits", "yes",
// "project", the feature and the plans that have it ("none" when no plan
// does), the kinds. A cell is "" where the action has nothing to show.
func (t Table) Row(a TableAction) []string {
	row := []string{a.Title()}
	for _, c := range a.Cells {
		switch {
		case !c.Allowed:
			row = append(row, "")
		case c.Limit != "":
			row = append(row, "✅ "+c.Limit)
		default:
			row = append(row, "✅")
		}
	}
	c := t.Columns()
	if c.Cost {
		s := ""
		if a.Cost != nil {
			s = strconv.FormatInt(a.Cost.Amount, 10) + " " + a.Cost.Currency
		}
		row = append(row, s)
	}
	if c.Billing {
		row = append(row, yes(a.Billing))
	}
	if c.Scope {
		s := ""
		if a.Scope != ScopeWorkspace.String() {
			s = a.Scope
		}
		row = append(row, s)
	}
	if c.Feature {
		plans := ""
		if a.Feature != "" {
			// Gated on a feature no plan has: available nowhere, which
			// an empty cell (no gate) would hide.
			plans = "none"
			if len(a.Plans) > 0 {
				plans = strings.Join(a.Plans, ", ")
			}
		}
		row = append(row, a.Feature, plans)
	}
	if c.Kinds {
		s := ""
		if len(a.Kinds) != 2 {
			s = strings.Join(a.Kinds, ", ")
		}
		row = append(row, s)
	}
	return row
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return ""
}

// Matrix renders the role x action table as Markdown: the Header row, a
// "| --- |" row, then one Row per action in order, every cell made safe
// for a Markdown table.
func (p *Policy) Matrix() string {
	t := p.Table()
	var b strings.Builder
	row := func(cells []string) {
		b.WriteString("|")
		for _, c := range cells {
			b.WriteString(" ")
			b.WriteString(cell(c))
			b.WriteString(" |")
		}
		b.WriteString("\n")
	}
	header := t.Header()
	row(header)
	rule := make([]string, len(header))
	for i := range rule {
		rule[i] = "---"
	}
	row(rule)
	for _, a := range t.Actions {
		row(t.Row(a))
	}
	return b.String()
}

// cell makes s safe inside a Markdown table cell.
func cell(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.ReplaceAll(s, "|", `\|`)
}
