package policy

import "strconv"

// maxSuggest is the longest name, in bytes, for which Load looks for a
// "did you mean": typos are made in names people type, and the bound keeps
// the search cheap however many names a policy declares.
const maxSuggest = 64

// didYouMean returns `; did you mean "x"?` for the candidate nearest to
// name, or "" when none is near enough: at most one edit (insert, delete,
// replace, or swap two neighbours) for every three characters of name, and
// at least one. Ties go to the first candidate.
func didYouMean(name string, candidates []string) string {
	if best := Nearest(name, candidates); best != "" {
		return "; did you mean " + strconv.Quote(best) + "?"
	}
	return ""
}

// Nearest returns the candidate a typo of name most likely meant: the
// nearest by edits (insert, delete, replace, or swap two neighbours), when
// it takes at most one edit for every three characters of name, and at least
// one; "" when none is near enough, name is a candidate, or name is longer
// than 64 bytes. Ties go to the first candidate. Load's "did you mean" and
// the charter command's use it.
func Nearest(name string, candidates []string) string {
	if name == "" || len(name) > maxSuggest {
		return ""
	}
	limit := max(1, len(name)/3)
	best, bestDist := "", limit+1
	for _, c := range candidates {
		if c == name || len(c) > maxSuggest || abs(len(c)-len(name)) >= bestDist {
			continue
		}
		if d := distance(name, c, bestDist); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// distance returns the optimal string alignment distance between a and b
// (Levenshtein's edits and swaps of neighbours), in bytes, or any value >=
// bound once it is sure to be at least bound. a and b are at most
// maxSuggest bytes long.
func distance(a, b string, bound int) int {
	var rows [3][maxSuggest + 1]int
	prev2, prev, cur := &rows[0], &rows[1], &rows[2]
	for j := 0; j <= len(b); j++ {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d = min(d, prev2[j-2]+1)
			}
			cur[j] = d
			rowMin = min(rowMin, d)
		}
		if rowMin >= bound {
			return bound
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
