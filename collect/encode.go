package collect

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Encode writes the snapshot's canonical encoding: compact JSON with object
// keys sorted and lists in Sort order, byte for byte what encoding/json
// (HTML escaping off) would write, followed by a newline. Equal snapshots
// give equal bytes, and the report's snapshot digest is the SHA-256 of
// these bytes. Objects are written without reflection: a snapshot of a
// large cluster is a hundred megabytes of them.
func (s *Snapshot) Encode(w io.Writer) error {
	return s.encode(w, nil)
}

// rawObject is one object kept as its canonical encoding, with its sort
// key and name (see FromClusterEncoded).
type rawObject struct {
	id   string // identity(o)
	name string
	data []byte
}

// toRaw encodes one object as Encode writes it.
func toRaw(o Object) (rawObject, error) {
	e := &encoder{}
	e.value(o, 0)
	return rawObject{id: identity(o), name: Str(o, "metadata", "name"), data: e.out}, e.err
}

// encode writes s; the objects of a type found in raw are written from
// their encodings instead of from s.Resources.
func (s *Snapshot) encode(w io.Writer, raw map[string][]rawObject) error {
	e := &encoder{w: w, out: make([]byte, 0, 2*encoderFlushAt)}
	e.raw(`{"apiVersion":`)
	e.str(s.APIVersion)
	e.raw(`,"kind":`)
	e.str(s.Kind)
	e.raw(`,"schemaVersion":`)
	e.raw(strconv.Itoa(s.SchemaVersion))
	e.raw(`,"metadata":`)
	e.marshal(s.Metadata)
	e.raw(`,"resources":{`)
	keys := make([]string, 0, len(s.Resources))
	for k := range s.Resources {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		if i > 0 {
			e.raw(",")
		}
		e.str(k)
		e.raw(":")
		if r, ok := raw[k]; ok {
			e.rawObjects(r)
		} else {
			e.objects(s.Resources[k])
		}
	}
	e.raw("}")
	if len(s.Other) > 0 {
		e.raw(`,"other":`)
		e.objects(s.Other)
	}
	if len(s.UnknownKinds) > 0 {
		e.raw(`,"unknownKinds":`)
		e.marshal(s.UnknownKinds)
	}
	e.raw(`,"coverage":`)
	e.marshal(s.Coverage)
	e.raw("}\n")
	e.flush()
	return e.err
}

// encoder appends canonical JSON to out and hands it to w in large
// chunks; keys holds one reusable key slice per nesting depth.
type encoder struct {
	w    io.Writer
	err  error
	out  []byte
	keys [][]string
}

const encoderFlushAt = 1 << 16

func (e *encoder) flushIfFull() {
	if len(e.out) >= encoderFlushAt {
		e.flush()
	}
}

func (e *encoder) flush() {
	if e.err == nil && len(e.out) > 0 {
		_, e.err = e.w.Write(e.out)
	}
	e.out = e.out[:0]
}

func (e *encoder) raw(s string) {
	e.out = append(e.out, s...)
	e.flushIfFull()
}

// marshal writes a typed value with encoding/json (small parts only).
func (e *encoder) marshal(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		if e.err == nil {
			e.err = err
		}
		return
	}
	e.out = append(e.out, b...)
	e.flushIfFull()
}

func (e *encoder) objects(objs []Object) {
	e.out = append(e.out, '[')
	for i, o := range objs {
		if i > 0 {
			e.out = append(e.out, ',')
		}
		e.value(o, 0)
		e.flushIfFull()
	}
	e.out = append(e.out, ']')
}

func (e *encoder) rawObjects(objs []rawObject) {
	e.out = append(e.out, '[')
	for i, o := range objs {
		if i > 0 {
			e.out = append(e.out, ',')
		}
		e.out = append(e.out, o.data...)
		e.flushIfFull()
	}
	e.out = append(e.out, ']')
}

// value appends a decoded JSON value: maps with sorted keys, lists,
// strings, json.Number, booleans and null. depth selects the key buffer.
func (e *encoder) value(v any, depth int) {
	switch x := v.(type) {
	case nil:
		e.out = append(e.out, "null"...)
	case string:
		e.str(x)
	case json.Number:
		if x == "" {
			e.out = append(e.out, '0')
		} else {
			e.out = append(e.out, x...)
		}
	case bool:
		if x {
			e.out = append(e.out, "true"...)
		} else {
			e.out = append(e.out, "false"...)
		}
	case map[string]any:
		for len(e.keys) <= depth {
			e.keys = append(e.keys, nil)
		}
		keys := e.keys[depth][:0]
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		e.keys[depth] = keys
		e.out = append(e.out, '{')
		for i, k := range keys {
			if i > 0 {
				e.out = append(e.out, ',')
			}
			e.str(k)
			e.out = append(e.out, ':')
			e.value(x[k], depth+1)
		}
		e.out = append(e.out, '}')
	case []any:
		e.out = append(e.out, '[')
		for i, it := range x {
			if i > 0 {
				e.out = append(e.out, ',')
			}
			e.value(it, depth+1)
		}
		e.out = append(e.out, ']')
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			if e.err == nil {
				e.err = fmt.Errorf("encode snapshot: unsupported number %v", x)
			}
			return
		}
		e.marshal(x)
	default:
		e.marshal(x)
	}
}

const hexDigits = "0123456789abcdef"

// str appends a JSON string escaped as encoding/json does with HTML
// escaping off: quotes, backslashes and control characters escaped,
// U+2028 and U+2029 as \u escapes, invalid UTF-8 as U+FFFD.
func (e *encoder) str(s string) {
	b := append(e.out, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	e.out = append(b, '"')
}
