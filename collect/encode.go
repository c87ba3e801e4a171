package collect

import (
	"bufio"
	"bytes"
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
	var b bytes.Buffer
	e := &encoder{w: &b}
	e.value(o)
	return rawObject{id: identity(o), name: Str(o, "metadata", "name"), data: b.Bytes()}, e.err
}

// encode writes s; the objects of a type found in raw are written from
// their encodings instead of from s.Resources.
func (s *Snapshot) encode(w io.Writer, raw map[string][]rawObject) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	e := &encoder{w: bw}
	e.raw(`{"apiVersion":`)
	e.value(s.APIVersion)
	e.raw(`,"kind":`)
	e.value(s.Kind)
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
	if s.NodeTuning != nil {
		e.raw(`,"nodeTuning":`)
		e.marshal(s.NodeTuning)
	}
	e.raw("}\n")
	if e.err != nil {
		return e.err
	}
	return bw.Flush()
}

type encoder struct {
	w interface {
		io.Writer
		io.StringWriter
	}
	err error
	buf []byte
}

func (e *encoder) raw(s string) {
	if e.err == nil {
		_, e.err = e.w.WriteString(s)
	}
}

// marshal writes a typed value with encoding/json, HTML escaping off
// (small parts only).
func (e *encoder) marshal(v any) {
	if e.err != nil {
		return
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		e.err = err
		return
	}
	_, e.err = e.w.Write(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

func (e *encoder) objects(objs []Object) {
	e.raw("[")
	for i, o := range objs {
		if i > 0 {
			e.raw(",")
		}
		e.value(o)
	}
	e.raw("]")
}

func (e *encoder) rawObjects(objs []rawObject) {
	e.raw("[")
	for i, o := range objs {
		if i > 0 {
			e.raw(",")
		}
		if e.err == nil {
			_, e.err = e.w.Write(o.data)
		}
	}
	e.raw("]")
}

// value writes a decoded JSON value: maps with sorted keys, lists,
// strings, json.Number, booleans and null.
func (e *encoder) value(v any) {
	if e.err != nil {
		return
	}
	switch x := v.(type) {
	case nil:
		e.raw("null")
	case string:
		e.str(x)
	case json.Number:
		if x == "" {
			e.raw("0")
		} else {
			e.raw(string(x))
		}
	case bool:
		if x {
			e.raw("true")
		} else {
			e.raw("false")
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		e.raw("{")
		for i, k := range keys {
			if i > 0 {
				e.raw(",")
			}
			e.str(k)
			e.raw(":")
			e.value(x[k])
		}
		e.raw("}")
	case []any:
		e.raw("[")
		for i, it := range x {
			if i > 0 {
				e.raw(",")
			}
			e.value(it)
		}
		e.raw("]")
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			e.err = fmt.Errorf("encode snapshot: unsupported number %v", x)
			return
		}
		e.marshal(x)
	default:
		e.marshal(x)
	}
}

const hexDigits = "0123456789abcdef"

// str writes a JSON string escaped as encoding/json does with HTML
// escaping off: quotes, backslashes and control characters escaped,
// U+2028 and U+2029 as \u escapes, invalid UTF-8 as U+FFFD.
func (e *encoder) str(s string) {
	if e.err != nil {
		return
	}
	b := append(e.buf[:0], '"')
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
	b = append(b, '"')
	e.buf = b
	_, e.err = e.w.Write(b)
}
