// Package format writes numbers for people: the dashboard's pages and the
// load generator's report share it.
package format

import "strconv"

// Thousands writes n with a comma between groups of three digits:
// 1234567 is "1,234,567", -1000 is "-1,000".
func Thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	sign := ""
	if s[0] == '-' {
		sign, s = "-", s[1:]
	}
	b := make([]byte, 0, len(sign)+len(s)+len(s)/3)
	b = append(b, sign...)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	return string(b)
}
