package main

import (
	"fmt"
	"strings"
)

// maxDiffCells bounds the table the diff's longest common subsequence
// fills: beyond it, the changed middle of two files is shown as all of it
// removed, then all of it added, still a correct diff.
const maxDiffCells = 4 << 20

// unifiedDiff returns the unified diff, with three lines of context, that
// turns a, the file oldName, into b, the file newName; "" when they are
// equal. A last line without a newline is marked as diff(1) marks it.
func unifiedDiff(oldName, newName string, a, b []byte) string {
	if string(a) == string(b) {
		return ""
	}
	x, y := splitLines(string(a)), splitLines(string(b))
	ops := editScript(x, y)
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", oldName, newName)
	const context = 3
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		// A hunk: from context lines before this change to context
		// lines after the last change that is within 2*context of the
		// one before it.
		start := max(i-context, 0)
		end := i
		for j := i; j < len(ops); j++ {
			if ops[j].kind != ' ' {
				end = j + 1
			} else if j-end >= 2*context {
				break
			}
		}
		end = min(end+context, len(ops))
		oldStart, newStart := ops[start].x+1, ops[start].y+1
		oldLen, newLen := 0, 0
		for _, op := range ops[start:end] {
			if op.kind != '+' {
				oldLen++
			}
			if op.kind != '-' {
				newLen++
			}
		}
		fmt.Fprintf(&out, "@@ -%s +%s @@\n", hunkRange(oldStart, oldLen), hunkRange(newStart, newLen))
		for _, op := range ops[start:end] {
			out.WriteByte(op.kind)
			out.WriteString(op.line)
			if !strings.HasSuffix(op.line, "\n") {
				out.WriteString("\n\\ No newline at end of file\n")
			}
		}
		i = end
	}
	return out.String()
}

// hunkRange formats a hunk's start and length as diff(1) does: "start" for
// one line, "start-1,0" for none.
func hunkRange(start, n int) string {
	switch n {
	case 0:
		return fmt.Sprintf("%d,0", start-1)
	case 1:
		return fmt.Sprint(start)
	}
	return fmt.Sprintf("%d,%d", start, n)
}

// splitLines splits s after each newline; the last line may lack one.
func splitLines(s string) []string {
	var lines []string
	for line := range strings.Lines(s) {
		lines = append(lines, line)
	}
	return lines
}

// An edit is one line of an edit script: kind ' ' keeps line, at index x of
// the old lines and y of the new, '-' removes old line x, '+' adds new line
// y; x and y are where the line is or would be.
type edit struct {
	kind byte
	line string
	x, y int
}

// editScript returns a shortest edit script from x to y found by longest
// common subsequence, or, when the changed middle is too large for that,
// one that removes the middle and adds it anew.
func editScript(x, y []string) []edit {
	pre := 0
	for pre < len(x) && pre < len(y) && x[pre] == y[pre] {
		pre++
	}
	suf := 0
	for suf < len(x)-pre && suf < len(y)-pre && x[len(x)-1-suf] == y[len(y)-1-suf] {
		suf++
	}
	var ops []edit
	for i := range pre {
		ops = append(ops, edit{' ', x[i], i, i})
	}
	mx, my := x[pre:len(x)-suf], y[pre:len(y)-suf]
	if len(mx)*len(my) > maxDiffCells {
		for i, l := range mx {
			ops = append(ops, edit{'-', l, pre + i, pre})
		}
		for j, l := range my {
			ops = append(ops, edit{'+', l, pre + len(mx), pre + j})
		}
	} else {
		// lcs[i][j] is the length of the longest common subsequence of
		// mx[i:] and my[j:].
		w := len(my) + 1
		lcs := make([]int, (len(mx)+1)*w)
		for i := len(mx) - 1; i >= 0; i-- {
			for j := len(my) - 1; j >= 0; j-- {
				if mx[i] == my[j] {
					lcs[i*w+j] = lcs[(i+1)*w+j+1] + 1
				} else {
					lcs[i*w+j] = max(lcs[(i+1)*w+j], lcs[i*w+j+1])
				}
			}
		}
		i, j := 0, 0
		for i < len(mx) || j < len(my) {
			switch {
			case i < len(mx) && j < len(my) && mx[i] == my[j]:
				ops = append(ops, edit{' ', mx[i], pre + i, pre + j})
				i++
				j++
			case i < len(mx) && (j == len(my) || lcs[(i+1)*w+j] >= lcs[i*w+j+1]):
				ops = append(ops, edit{'-', mx[i], pre + i, pre + j})
				i++
			default:
				ops = append(ops, edit{'+', my[j], pre + i, pre + j})
				j++
			}
		}
	}
	for k := suf; k > 0; k-- {
		ops = append(ops, edit{' ', x[len(x)-k], len(x) - k, len(y) - k})
	}
	return ops
}
