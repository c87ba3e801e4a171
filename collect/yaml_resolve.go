package collect

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// This file resolves the plain scalars of the fast YAML path to the values
// go.yaml.in/yaml/v2 reads and sigs.k8s.io/yaml turns into JSON.

// resolveValue gives a plain scalar's value: a string, nil, a bool or a
// json.Number, as yaml reads it and json then decodes it. Infinities and
// NaN, which JSON cannot hold, report false.
func resolveValue(text string) (any, bool) {
	r := resolvePlain(text)
	switch r.kind {
	case plainNull:
		return nil, true
	case plainBool:
		return r.b, true
	case plainInt:
		return json.Number(strconv.FormatInt(r.i, 10)), true
	case plainUint:
		return json.Number(strconv.FormatUint(r.u, 10)), true
	case plainFloat:
		js, err := json.Marshal(r.f)
		if err != nil {
			return nil, false
		}
		return json.Number(js), true
	}
	return text, true
}

// resolveKey gives a plain mapping key as YAMLToJSON turns it into a
// string; nonString reports a key yaml read as a boolean or a number.
// Null and unsigned keys, which YAMLToJSON rejects, and the merge key
// report false.
func resolveKey(text string) (key string, nonString, ok bool) {
	if text == "<<" {
		return "", false, false
	}
	r := resolvePlain(text)
	switch r.kind {
	case plainString:
		return text, false, true
	case plainBool:
		return strconv.FormatBool(r.b), true, true
	case plainInt:
		return strconv.FormatInt(r.i, 10), true, true
	case plainFloat:
		k := strconv.FormatFloat(r.f, 'g', -1, 32)
		switch k {
		case "+Inf":
			k = ".inf"
		case "-Inf":
			k = "-.inf"
		case "NaN":
			k = ".nan"
		}
		return k, true, true
	}
	return "", false, false
}

type plainKind int

const (
	plainString plainKind = iota
	plainNull
	plainBool
	plainInt
	plainUint
	plainFloat
)

type plainResult struct {
	kind plainKind
	b    bool
	i    int64
	u    uint64
	f    float64
}

// resolveHint classifies a plain scalar by its first byte as
// go.yaml.in/yaml/v2's resolve does; 0 means it is a string.
var resolveHint = func() (t [256]byte) {
	t['+'], t['-'], t['.'] = 'S', 'S', '.'
	for c := '0'; c <= '9'; c++ {
		t[c] = 'D'
	}
	for _, c := range "yYnNtTfFoO~" {
		t[c] = 'M'
	}
	return t
}()

// resolvePlain mirrors go.yaml.in/yaml/v2's resolve for an untagged plain
// scalar. It does not look for timestamps: decoding into an interface,
// yaml gives their text, and no timestamp reads as a number.
func resolvePlain(in string) plainResult {
	switch resolveHint[in[0]] {
	case 'M':
		switch in {
		case "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON":
			return plainResult{kind: plainBool, b: true}
		case "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF":
			return plainResult{kind: plainBool}
		case "~", "null", "Null", "NULL":
			return plainResult{kind: plainNull}
		}
	case '.':
		switch in {
		case ".nan", ".NaN", ".NAN":
			return plainResult{kind: plainFloat, f: math.NaN()}
		case ".inf", ".Inf", ".INF":
			return plainResult{kind: plainFloat, f: math.Inf(1)}
		}
		if mayBeDecimal(in) {
			if f, err := strconv.ParseFloat(in, 64); err == nil {
				return plainResult{kind: plainFloat, f: f}
			}
		}
	case 'D', 'S':
		switch in {
		case "+.inf", "+.Inf", "+.INF":
			return plainResult{kind: plainFloat, f: math.Inf(1)}
		case "-.inf", "-.Inf", "-.INF":
			return plainResult{kind: plainFloat, f: math.Inf(-1)}
		}
		return resolveNumber(in)
	}
	return plainResult{}
}

// resolveNumber is resolve's integer and float branch. Cheap checks skip
// the strconv calls that would fail, so that strings such as IP
// addresses and dates cost no allocation.
func resolveNumber(in string) plainResult {
	plain := in
	if strings.IndexByte(in, '_') >= 0 {
		plain = strings.ReplaceAll(in, "_", "")
	}
	if mayBeInt(plain) {
		if i, err := strconv.ParseInt(plain, 0, 64); err == nil {
			return plainResult{kind: plainInt, i: i}
		}
		if u, err := strconv.ParseUint(plain, 0, 64); err == nil {
			return plainResult{kind: plainUint, u: u}
		}
	}
	if isYAMLFloat(plain) {
		if f, err := strconv.ParseFloat(plain, 64); err == nil {
			return plainResult{kind: plainFloat, f: f}
		}
	}
	if strings.HasPrefix(plain, "0b") {
		if i, err := strconv.ParseInt(plain[2:], 2, 64); err == nil {
			return plainResult{kind: plainInt, i: i}
		}
		if u, err := strconv.ParseUint(plain[2:], 2, 64); err == nil {
			return plainResult{kind: plainUint, u: u}
		}
	} else if strings.HasPrefix(plain, "-0b") {
		if i, err := strconv.ParseInt("-"+plain[3:], 2, 64); err == nil {
			return plainResult{kind: plainInt, i: i}
		}
	}
	return plainResult{}
}

// mayBeInt reports whether strconv.ParseInt or ParseUint with base 0
// could accept s: an optional sign, then digits and base prefixes only.
func mayBeInt(s string) bool {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F',
			c == 'x', c == 'X', c == 'o', c == 'O':
		default:
			return false
		}
	}
	return true
}

// mayBeDecimal reports whether strconv.ParseFloat could accept s, which
// starts with a dot: digits, signs, dots, exponents and underscores only,
// with at least one digit.
func mayBeDecimal(s string) bool {
	digit := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digit = true
		case c == '.', c == 'e', c == 'E', c == '+', c == '-', c == '_':
		default:
			return false
		}
	}
	return digit
}

// isYAMLFloat matches resolve's yamlStyleFloat expression,
// ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$.
func isYAMLFloat(s string) bool {
	i := 0
	digits := func() int {
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - j
	}
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	} else {
		if digits() == 0 {
			return false
		}
		if i < len(s) && s[i] == '.' {
			i++
			digits()
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}
