//go:build !unix

package firehose

func cpuTime() int64 { return 0 }
