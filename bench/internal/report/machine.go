package report

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Machine describes where a run took place. Fields that could not be read
// are empty (or 0).
type Machine struct {
	GOOS       string `json:"goos"`
	GOARCH     string `json:"goarch"`
	CPUs       int    `json:"cpus"`
	CPUModel   string `json:"cpu_model"`
	Kernel     string `json:"kernel"`
	NoFileSoft uint64 `json:"rlimit_nofile_soft"`
	NoFileHard uint64 `json:"rlimit_nofile_hard"`
}

// ThisMachine reads the machine's description: the CPU model from
// /proc/cpuinfo, the kernel from uname -r, and this process's
// RLIMIT_NOFILE (the runner's children raise their soft limit to the hard
// one).
func ThisMachine() Machine {
	m := Machine{GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, CPUs: runtime.NumCPU()}
	m.CPUModel = cpuModel()
	m.Kernel = command("uname", "-r")
	if m.Kernel == "" {
		if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
			m.Kernel = strings.TrimSpace(string(b))
		}
	}
	m.NoFileSoft, m.NoFileHard = noFile()
	return m
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "model name", "Model", "Hardware", "cpu model":
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// Commit returns git rev-parse HEAD of the repository holding benchDir
// (the root module is its parent), or "unknown".
func Commit(benchDir string) string {
	if benchDir == "" {
		return "unknown"
	}
	if c := command("git", "-C", filepath.Dir(benchDir), "rev-parse", "HEAD"); c != "" {
		return c
	}
	return "unknown"
}

// command runs a short command and returns its trimmed output, "" when it
// fails.
func command(name string, args ...string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
