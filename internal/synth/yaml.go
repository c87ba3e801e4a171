package synth

import (
	"strings"
	"unicode/utf8"
)

// YAML scalars. Values are written plain when that is unambiguous and
// double-quoted otherwise; quoted strings escape everything outside YAML's
// printable set, so any string reads back as itself.

// scalar appends s as a plain scalar when that is unambiguous and as a
// double-quoted one otherwise.
func scalar[S ~string | ~[]byte](b []byte, s S) []byte {
	if plain(s) {
		return append(b, s...)
	}
	return quoted(b, string(s))
}

// plain reports whether s reads back as the same string when written
// unquoted in block context. It is deliberately conservative: anything that
// could resolve to a number, boolean, null or timestamp under YAML 1.1 or
// 1.2 is quoted, and so is anything but ASCII letters, digits and - _ . / :.
// Quantities such as 20Gi and 100m stay plain, as kubectl writes them.
func plain[S ~string | ~[]byte](s S) bool {
	if len(s) == 0 {
		return false
	}
	c := s[0]
	digit := c >= '0' && c <= '9'
	if !(digit || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '/') {
		return false
	}
	letter := false // a letter other than e/E (exponent) after a leading digit
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			letter = letter || c != 'e' && c != 'E'
		case c >= '0' && c <= '9', c == '-', c == '_', c == '.', c == '/':
		case c == ':':
			if i == len(s)-1 || digit {
				return false // "a:" is a key; "1:20" is sexagesimal in YAML 1.1
			}
		default:
			return false
		}
	}
	if digit {
		// Hexadecimal, octal and binary integers need quoting; so does
		// anything without a letter that could make it a non-number.
		return letter && !(len(s) > 1 && c == '0' && strings.IndexByte("xXoObB", s[1]) >= 0)
	}
	if len(s) <= 5 {
		switch lower(s) {
		case "y", "n", "yes", "no", "on", "off", "true", "false", "null":
			return false
		}
	}
	return true
}

func lower[S ~string | ~[]byte](s S) string {
	var buf [5]byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return string(buf[:len(s)])
}

const hexDigits = "0123456789abcdef"

// quoted appends s as a double-quoted YAML scalar. Characters outside
// YAML's printable set, the line and paragraph separators and the byte
// order mark are escaped; a byte that is not UTF-8 becomes U+FFFD, as it
// does in JSON.
func quoted(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&15])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1, r < 0xa0, r == 0x2028, r == 0x2029, r == 0xfeff, r >= 0xfffe && r <= 0xffff:
			b = append(b, '\\', 'u', hexDigits[r>>12&15], hexDigits[r>>8&15], hexDigits[r>>4&15], hexDigits[r&15])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// literal reports whether s can be written as a literal block scalar ("|"
// or "|-") that reads back exactly: printable ASCII lines, none blank, none
// with trailing spaces, the first not indented, and at most one final
// newline.
func literal(s string) bool {
	body := strings.TrimSuffix(s, "\n")
	if body == "" || body[0] == ' ' {
		return false
	}
	prev := byte('\n')
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c == '\n':
			if prev == '\n' || prev == ' ' {
				return false
			}
		case c < 0x20 || c > 0x7e:
			return false
		}
		prev = c
	}
	return prev != ' ' && prev != '\n'
}
