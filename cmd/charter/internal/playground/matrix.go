package playground

import (
	"strings"

	"github.com/charterhq/charter/policy"
)

// table is the role x action matrix as the page draws it: a header row and
// one row of cells per action, the first cell the action's title.
type table struct {
	Header []string   `json:"header"`
	Rows   [][]string `json:"rows"`
}

// matrix returns p's matrix as a table. It reads the Markdown of
// p.Matrix(), the one rendering of the matrix the policy package offers, so
// that the page shows exactly what "charter matrix" prints.
func matrix(p *policy.Policy) *table {
	t := &table{Rows: [][]string{}}
	for i, line := range strings.Split(strings.TrimSuffix(p.Matrix(), "\n"), "\n") {
		cells := markdownCells(line)
		switch i {
		case 0:
			t.Header = cells
		case 1: // the | --- | rule
		default:
			t.Rows = append(t.Rows, cells)
		}
	}
	return t
}

// markdownCells splits one row of a Markdown table, "| a | b \| c |", into
// its cells, trimmed and unescaped: "a", "b | c".
func markdownCells(line string) []string {
	line = strings.TrimSpace(line)
	line = strings.TrimPrefix(line, "|")
	var cells []string
	var b strings.Builder
	for i := 0; i < len(line); i++ {
		switch {
		case line[i] == '\\' && i+1 < len(line) && line[i+1] == '|':
			b.WriteByte('|')
			i++
		case line[i] == '|':
			cells = append(cells, strings.TrimSpace(b.String()))
			b.Reset()
		default:
			b.WriteByte(line[i])
		}
	}
	if rest := strings.TrimSpace(b.String()); rest != "" {
		cells = append(cells, rest)
	}
	return cells
}
