package rosparam

import (
	"fmt"
	"slices"
	"strings"
)

// maxListed is how many declared names an unknown-parameter error lists
// when none is close to the name given.
const maxListed = 8

// unknown returns the error for a name that is not declared, suggesting the
// closest declared name. The caller holds s.mu.
func (s *Set) unknown(name string) error {
	names := make([]string, 0, len(s.params))
	for n := range s.params {
		names = append(names, n)
	}
	slices.Sort(names)
	if best := suggest(name, names); best != "" {
		return fmt.Errorf("unknown parameter %q (did you mean %q?)", name, best)
	}
	switch {
	case len(names) == 0:
		return fmt.Errorf("unknown parameter %q (no parameters are declared)", name)
	case len(names) <= maxListed:
		return fmt.Errorf("unknown parameter %q (declared: %s)", name, strings.Join(names, ", "))
	}
	return fmt.Errorf("unknown parameter %q (none of the %d declared names is close; ros2 param list shows them)", name, len(names))
}

// suggest returns the declared name most likely meant by name, or "": the
// one with the smallest edit distance if that is small for the name's
// length, else one whose last dotted part equals name's (a missing or wrong
// prefix such as "ack_timeout_ms" for "link.ack_timeout_ms").
func suggest(name string, names []string) string {
	best, bestDist := "", -1
	for _, n := range names {
		d := editDistance(strings.ToLower(name), strings.ToLower(n))
		if bestDist < 0 || d < bestDist {
			best, bestDist = n, d
		}
	}
	if bestDist >= 0 && bestDist <= max(2, len(name)/3) {
		return best
	}
	last := name[strings.LastIndexByte(name, '.')+1:]
	for _, n := range names {
		if n[strings.LastIndexByte(n, '.')+1:] == last {
			return n
		}
	}
	return ""
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
