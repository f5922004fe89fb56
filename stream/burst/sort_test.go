package burst

import "sort"

func sortSlice[T any](s []T, less func(a, b *T) bool) {
	sort.SliceStable(s, func(i, j int) bool { return less(&s[i], &s[j]) })
}
