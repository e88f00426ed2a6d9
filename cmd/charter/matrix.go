package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"

	"github.com/charterhq/charter/policy"
)

// matrixFormats are the formats of charter matrix, by -format name.
var matrixFormats = map[string]func(io.Writer, *policy.Policy) error{
	"md":   writeMarkdown,
	"html": writeHTML,
	"csv":  writeCSV,
	"json": writeJSON,
}

func writeMarkdown(w io.Writer, p *policy.Policy) error {
	_, err := io.WriteString(w, p.Matrix())
	return err
}

// htmlMatrix is a standalone page holding the table; html/template escapes
// every name and description for its place in the page.
var htmlMatrix = template.Must(template.New("matrix").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{.Policy}}: roles and actions</title>
<style>
table { border-collapse: collapse; font-family: sans-serif; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; }
thead th { background: #f4f4f4; }
tbody th { text-align: left; font-weight: normal; }
</style>
</head>
<body>
<h1>{{.Policy}}</h1>
<table>
<thead>
<tr>{{range .Header}}<th scope="col">{{.}}</th>{{end}}</tr>
</thead>
<tbody>
{{- range .Rows}}
<tr id="{{.Name}}"><th scope="row" title="{{.Name}}">{{.Title}}</th>{{range .Cells}}<td>{{.}}</td>{{end}}</tr>
{{- end}}
</tbody>
</table>
</body>
</html>
`))

func writeHTML(w io.Writer, p *policy.Policy) error {
	t := p.Table()
	type row struct {
		Name, Title string
		Cells       []string
	}
	data := struct {
		Policy string
		Header []string
		Rows   []row
	}{Policy: t.Policy, Header: t.Header()}
	for _, a := range t.Actions {
		cells := t.Row(a)
		data.Rows = append(data.Rows, row{Name: a.Name, Title: cells[0], Cells: cells[1:]})
	}
	return htmlMatrix.Execute(w, data)
}

// writeCSV writes one record per action under a header record: action,
// description, one column per role ("allowed", "denied" or the cell's
// limit, e.g. "granted projects only"), scope, kinds (space-separated),
// billing (true or false), cost_amount and cost_currency (empty when the
// action is free), feature, and plans (space-separated: the plans that have
// the feature, every plan when the action needs none).
func writeCSV(w io.Writer, p *policy.Policy) error {
	t := p.Table()
	cw := csv.NewWriter(w)
	header := []string{"action", "description"}
	for _, r := range t.Roles {
		header = append(header, r.Name)
	}
	header = append(header, "scope", "kinds", "billing", "cost_amount", "cost_currency", "feature", "plans")
	if err := cw.Write(header); err != nil {
		return err
	}
	for _, a := range t.Actions {
		rec := []string{a.Name, a.Description}
		for _, c := range a.Cells {
			switch {
			case !c.Allowed:
				rec = append(rec, "denied")
			case c.Limit != "":
				rec = append(rec, c.Limit)
			default:
				rec = append(rec, "allowed")
			}
		}
		amount, currency := "", ""
		if a.Cost != nil {
			amount, currency = strconv.FormatInt(a.Cost.Amount, 10), a.Cost.Currency
		}
		rec = append(rec, a.Scope, strings.Join(a.Kinds, " "), strconv.FormatBool(a.Billing),
			amount, currency, a.Feature, strings.Join(a.Plans, " "))
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// writeJSON writes the policy.Table, indented; its shape is documented on
// policy.Table.
func writeJSON(w io.Writer, p *policy.Policy) error {
	b, err := json.MarshalIndent(p.Table(), "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the table: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
