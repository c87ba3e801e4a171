package nodetuning

import (
	"fmt"
	"strings"
)

// parserOf returns how a sysctl's text is checked and normalised, nil for
// a name this package does not read.
func parserOf(name string) func(string) (string, error) {
	switch name {
	case "net.ipv4.ip_local_port_range":
		return parseRange
	case "fs.file-max", "net.netfilter.nf_conntrack_max", "net.ipv4.tcp_tw_reuse",
		"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes",
		ConntrackCount:
		return parseInteger
	}
	return nil
}

// parseInteger accepts a non-negative decimal integer (fs.file-max may be
// as large as 2^64-1, so it is kept as text).
func parseInteger(s string) (string, error) {
	t := strings.TrimSpace(s)
	if !digits(t) {
		return "", unexpected(s, "a non-negative integer")
	}
	return t, nil
}

// parseRange accepts two integers separated by white space ("32768\t60999"
// as the kernel writes it) and gives them separated by one space.
func parseRange(s string) (string, error) {
	f := strings.Fields(s)
	if len(f) != 2 || !digits(f[0]) || !digits(f[1]) {
		return "", unexpected(s, "two integers")
	}
	return f[0] + " " + f[1], nil
}

// parseRelease accepts a kernel release: one word of printable ASCII.
func parseRelease(s string) (string, error) {
	t := strings.TrimSpace(s)
	if t == "" || len(t) > 128 {
		return "", unexpected(s, "a kernel release")
	}
	for i := 0; i < len(t); i++ {
		if t[i] <= ' ' || t[i] > '~' {
			return "", unexpected(s, "a kernel release")
		}
	}
	return t, nil
}

func digits(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// unexpected describes content that is not a value of the expected form,
// quoting (a bounded part of) what was found.
func unexpected(s, want string) error {
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("unexpected content: empty, want %s", want)
	}
	const show = 32
	q := s
	if len(q) > show {
		q = q[:show] + "…"
	}
	return fmt.Errorf("unexpected content %q, want %s", q, want)
}
