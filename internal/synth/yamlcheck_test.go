package synth

import (
	"fmt"
	"strings"
	"testing"
)

// checkYAML verifies that one document is well-formed YAML of the subset the
// generator writes: block mappings and sequences laid out by indentation
// (sequences may sit at their key's indentation), plain, single- and
// double-quoted scalars, the empty flow collections {} and [], and literal
// block scalars. It also rejects duplicate keys, tabs, blank lines and
// trailing spaces. It is no general YAML parser: it holds the generator to
// kubectl's layout, which a real parser would accept in any form;
// format_test.go parses the output with sigs.k8s.io/yaml.
func checkYAML(lines []string) error {
	type frame struct {
		indent int
		seq    bool
		keys   map[string]bool
	}
	stack := []frame{{indent: 0, keys: map[string]bool{}}}
	opener := -1 // indentation of a "key:" awaiting its nested collection
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		fail := func(format string, args ...any) error {
			return fmt.Errorf("line %d %q: %s", i+1, l, fmt.Sprintf(format, args...))
		}
		if strings.TrimSpace(l) == "" || strings.ContainsRune(l, '\t') || strings.HasSuffix(l, " ") {
			return fail("blank line, tab or trailing space")
		}
		ind := len(l) - len(strings.TrimLeft(l, " "))
		content := l[ind:]
		dash := strings.HasPrefix(content, "- ")
		switch {
		case opener >= 0 && (ind > opener || ind == opener && dash):
			stack = append(stack, frame{indent: ind, seq: dash, keys: map[string]bool{}})
			opener = -1
		case opener >= 0:
			return fail("key at indentation %d has no value", opener)
		default:
			for len(stack) > 1 && stack[len(stack)-1].indent > ind {
				stack = stack[:len(stack)-1]
			}
			if top := stack[len(stack)-1]; top.seq && !dash && top.indent == ind && len(stack) > 1 {
				stack = stack[:len(stack)-1] // a sibling key after a compact sequence
			}
			if top := stack[len(stack)-1]; top.indent != ind || top.seq != dash {
				return fail("unexpected indentation or item")
			}
		}
		if dash {
			content = content[2:]
			if strings.HasPrefix(content, "- ") {
				return fail("nested compact sequence")
			}
			_, _, isMap, err := splitKey(content)
			if err != nil {
				return fail("%v", err)
			}
			if !isMap {
				if err := checkScalar(content); err != nil {
					return fail("%v", err)
				}
				continue
			}
			stack = append(stack, frame{indent: ind + 2, keys: map[string]bool{}})
			ind += 2
		}
		key, val, isMap, err := splitKey(content)
		if err != nil || !isMap {
			return fail("want key: value (%v)", err)
		}
		top := &stack[len(stack)-1]
		if top.keys[key] {
			return fail("duplicate key %q", key)
		}
		top.keys[key] = true
		switch val {
		case "":
			opener = ind
		case "|", "|-":
			n := 0
			blockInd := -1
			for i+1 < len(lines) {
				next := lines[i+1]
				ni := len(next) - len(strings.TrimLeft(next, " "))
				if ni <= ind || strings.TrimSpace(next) == "" {
					break
				}
				if blockInd < 0 {
					blockInd = ni
				} else if ni < blockInd {
					return fail("block scalar line %d less indented than its first line", i+2)
				}
				i++
				n++
			}
			if n == 0 {
				return fail("empty block scalar")
			}
		default:
			if err := checkScalar(val); err != nil {
				return fail("%v", err)
			}
		}
	}
	if opener >= 0 {
		return fmt.Errorf("document ends after a key without value")
	}
	return nil
}

// splitKey splits "key: value" or "key:"; isMap is false for a bare scalar.
func splitKey(s string) (key, val string, isMap bool, err error) {
	if strings.HasPrefix(s, `"`) {
		end := closingQuote(s)
		if end < 0 {
			return "", "", false, fmt.Errorf("unterminated quoted string")
		}
		rest := s[end+1:]
		switch {
		case rest == "":
			return "", "", false, nil
		case rest == ":":
			return s[:end+1], "", true, nil
		case strings.HasPrefix(rest, ": "):
			return s[:end+1], rest[2:], true, nil
		}
		return "", "", false, fmt.Errorf("text after quoted string")
	}
	if strings.HasPrefix(s, "'") {
		return "", "", false, nil
	}
	if k, v, ok := strings.Cut(s, ": "); ok {
		return k, v, true, checkScalar(k)
	}
	if strings.HasSuffix(s, ":") {
		return s[:len(s)-1], "", true, checkScalar(s[:len(s)-1])
	}
	return "", "", false, nil
}

// closingQuote returns the index of the quote closing the double-quoted
// string that starts s, or -1.
func closingQuote(s string) int {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

// checkScalar accepts a complete scalar value: quoted, an empty flow
// collection, or a plain scalar that a YAML parser reads as one string-like
// token.
func checkScalar(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("empty scalar")
	case s == "{}" || s == "[]":
		return nil
	case s[0] == '"':
		if closingQuote(s) != len(s)-1 {
			return fmt.Errorf("bad double-quoted scalar %q", s)
		}
		return nil
	case s[0] == '\'':
		inner := s[1 : len(s)-1]
		if len(s) < 2 || s[len(s)-1] != '\'' || strings.Count(inner, "'")%2 != 0 {
			return fmt.Errorf("bad single-quoted scalar %q", s)
		}
		return nil
	case strings.ContainsRune("?:,[]{}#&*!|>%@`", rune(s[0])), s[0] == '-' && (len(s) == 1 || s[1] == ' '):
		return fmt.Errorf("plain scalar %q starts with an indicator", s)
	case strings.Contains(s, ": "), strings.Contains(s, " #"), strings.HasSuffix(s, ":"):
		return fmt.Errorf("plain scalar %q contains an indicator", s)
	}
	return nil
}

func TestCheckYAML(t *testing.T) {
	good := []string{"a: b", "c:", "  d: \"1\"", "e:", "- f", "- g: h", "  i: j", "k: |", "  text: {x", "l: {}"}
	if err := checkYAML(good); err != nil {
		t.Fatalf("valid document rejected: %v", err)
	}
	for _, bad := range [][]string{
		{"a: b", "a: c"},          // duplicate key
		{"a:", "b: c"},            // key without value
		{"a: b", "  c: d"},        // unexpected indentation
		{"a: b: c"},               // plain scalar with ": "
		{"a: \"b"},                // unterminated quote
		{"a: *b"},                 // alias indicator
		{"a:", "  - b", "  c: d"}, // key inside a sequence
		{"a: |"},                  // empty block scalar
		{"a: b "},                 // trailing space
	} {
		if err := checkYAML(bad); err == nil {
			t.Errorf("invalid document accepted: %q", bad)
		}
	}
}

func TestPlain(t *testing.T) {
	for s, want := range map[string]bool{
		"20Gi": true, "100m": true, "7910m": true, "eu-north-1a": true, "docker.io/istio/proxyv2:1.24.2": true,
		"1e5": false, "0x1f": false, "0b1": false, "8080": false, "10.0.16.26": false, "2025-01-06": false,
		"1:20": false, "true": false, "No": false, "y": false, "null": false, "": false, "a:": false,
		"-p": false, "*.local": false, "a b": false, "1_000": false, ".inf": false,
	} {
		if got := plain(s); got != want {
			t.Errorf("plain(%q) = %v, want %v", s, got, want)
		}
	}
}
