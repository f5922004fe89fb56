package harness

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc's CPU times: 100 on every
// Linux architecture Go supports.
const clockTicks = 100

// Machine says where a run was measured.
type Machine struct {
	CPU    string `json:"cpu"`
	Cores  int    `json:"cores"`
	Memory string `json:"memory"`
	Go     string `json:"go"`
}

func describeMachine() Machine {
	m := Machine{Cores: runtime.NumCPU(), Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
				kb, _ := strconv.ParseFloat(f[1], 64)
				m.Memory = fmt.Sprintf("%.0f GB", kb/(1<<20))
			}
		}
	}
	return m
}

// services are the pids of the local Kafka broker and ClickHouse server.
type services struct{ kafka, clickhouse int }

// findServices reads the pids deploy/local keeps in runDir; none when
// runDir is "" (the services run elsewhere: their CPU is not measured).
func findServices(runDir string) (services, error) {
	var s services
	if runDir == "" {
		return s, nil
	}
	for name, dst := range map[string]*int{"kafka": &s.kafka, "clickhouse": &s.clickhouse} {
		b, err := os.ReadFile(filepath.Join(runDir, name+".pid"))
		if err != nil {
			return s, fmt.Errorf("%s is not running here (deploy/local/up starts it): %w", name, err)
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || !alive(pid) {
			return s, fmt.Errorf("%s is not running (stale pid file %s): run deploy/local/up", name, filepath.Join(runDir, name+".pid"))
		}
		*dst = pid
	}
	return s, nil
}

func alive(pid int) bool {
	_, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
	return err == nil
}

// processCPU returns a process's user and system CPU time so far.
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStat(b)
}

// parseStat reads utime and stime (fields 14 and 15) from a /proc/PID/stat
// line; the command name in parentheses may hold spaces.
func parseStat(b []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("malformed stat line %q", b)
	}
	f := strings.Fields(string(b[i+1:])) // f[0] is field 3, the state
	if len(f) < 13 {
		return 0, fmt.Errorf("short stat line %q", b)
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("stat line %q: %w", b, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}

// peakRSS returns a process's peak resident set (VmHWM) in bytes.
func peakRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}

// machineCPU returns the machine's busy and total CPU time so far, over all
// cores, from /proc/stat.
func machineCPU() (busy, total time.Duration, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return 0, 0, fmt.Errorf("unexpected /proc/stat line %q", line)
	}
	var t, idle int64
	for k, s := range f[1:] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, 0, err
		}
		if k == 8 || k == 9 { // guest time is counted in user already
			continue
		}
		t += n
		if k == 3 || k == 4 { // idle, iowait
			idle += n
		}
	}
	tick := time.Second / clockTicks
	return time.Duration(t-idle) * tick, time.Duration(t) * tick, nil
}

// cpuSample is the CPU used so far by the processes a phase watches.
type cpuSample struct {
	at                        time.Time
	self, kafka, clickhouse   time.Duration
	machineBusy, machineTotal time.Duration
}

// sample reads the CPU times of pid (0: none) and the services (those
// with pid 0 are not measured).
func sample(pid int, s services) (cpuSample, error) {
	c := cpuSample{at: time.Now()}
	var err error
	if pid != 0 {
		if c.self, err = processCPU(pid); err != nil {
			return c, err
		}
	}
	if s.kafka != 0 {
		if c.kafka, err = processCPU(s.kafka); err != nil {
			return c, fmt.Errorf("kafka: %w", err)
		}
	}
	if s.clickhouse != 0 {
		if c.clickhouse, err = processCPU(s.clickhouse); err != nil {
			return c, fmt.Errorf("clickhouse: %w", err)
		}
	}
	c.machineBusy, c.machineTotal, err = machineCPU()
	return c, err
}
