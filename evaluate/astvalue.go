package evaluate

import (
	"encoding"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
)

// toValue converts a Go value to the OPA value its JSON encoding would
// decode to, without writing and parsing the JSON: struct fields follow
// their json tags (names, omitempty, "-", embedded structs), nil slices
// and maps are null, time.Time is an RFC 3339 string, json.Number is a
// number. Types with their own JSON encoding go through encoding/json.
//
// Short strings (names, namespaces, label keys) repeat across a cluster's
// facts: each distinct one becomes one term, shared by every object that
// holds it, as OPA shares its interned terms.
func toValue(v any) (ast.Value, error) {
	c := &converter{strings: map[string]*ast.Term{}}
	return c.value(reflect.ValueOf(v))
}

// converter converts one value; it is not safe for concurrent use.
type converter struct {
	strings map[string]*ast.Term
}

// maxShared is the longest string whose term is shared.
const maxShared = 64

func (c *converter) str(s string) *ast.Term {
	if len(s) > maxShared {
		return ast.StringTerm(s)
	}
	t, ok := c.strings[s]
	if !ok {
		t = ast.StringTerm(s)
		c.strings[s] = t
	}
	return t
}

var (
	timeType        = reflect.TypeFor[time.Time]()
	numberType      = reflect.TypeFor[json.Number]()
	marshalerType   = reflect.TypeFor[json.Marshaler]()
	textMarshalType = reflect.TypeFor[encoding.TextMarshaler]()
)

func (c *converter) value(rv reflect.Value) (ast.Value, error) {
	if !rv.IsValid() {
		return ast.Null{}, nil
	}
	t := rv.Type()
	switch t {
	case timeType:
		return ast.String(rv.Interface().(time.Time).Format(time.RFC3339Nano)), nil
	case numberType:
		n := rv.String()
		if n == "" {
			n = "0"
		}
		return ast.Number(n), nil
	}
	if marshals(t) {
		return viaJSON(rv.Interface())
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return ast.Null{}, nil
		}
		return c.value(rv.Elem())
	case reflect.String:
		return ast.String(rv.String()), nil
	case reflect.Bool:
		return ast.Boolean(rv.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return ast.Number(strconv.FormatInt(rv.Int(), 10)), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return ast.Number(strconv.FormatUint(rv.Uint(), 10)), nil
	case reflect.Float32, reflect.Float64:
		return floatValue(rv.Float(), t.Bits())
	case reflect.Slice:
		if rv.IsNil() {
			return ast.Null{}, nil
		}
		if t.Elem().Kind() == reflect.Uint8 {
			return viaJSON(rv.Interface()) // base64, as encoding/json writes []byte
		}
		fallthrough
	case reflect.Array:
		terms := make([]*ast.Term, rv.Len())
		for i := range terms {
			t, err := c.term(rv.Index(i))
			if err != nil {
				return nil, err
			}
			terms[i] = t
		}
		return ast.NewArray(terms...), nil
	case reflect.Map:
		if rv.IsNil() {
			return ast.Null{}, nil
		}
		if t.Key().Kind() != reflect.String {
			return viaJSON(rv.Interface())
		}
		obj := ast.NewObjectWithCapacity(rv.Len())
		it := rv.MapRange()
		for it.Next() {
			t, err := c.term(it.Value())
			if err != nil {
				return nil, err
			}
			obj.Insert(c.str(it.Key().String()), t)
		}
		return obj, nil
	case reflect.Struct:
		return c.structValue(rv)
	}
	return nil, fmt.Errorf("cannot convert a %s to a policy value", t)
}

// marshals reports whether a (non-pointer, non-interface) type has its own
// JSON or text encoding.
func marshals(t reflect.Type) bool {
	return t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface &&
		(t.Implements(marshalerType) || t.Implements(textMarshalType))
}

// floatValue writes a float as encoding/json does.
func floatValue(f float64, bits int) (ast.Value, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, fmt.Errorf("unsupported number %v", f)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21)) {
		format = 'e'
	}
	return ast.Number(strconv.FormatFloat(f, format, -1, bits)), nil
}

// field is one JSON-visible field of a struct type.
type field struct {
	name      string
	key       *ast.Term // the name as an object key, shared by every object
	index     []int
	omitEmpty bool
}

var fieldCache sync.Map // reflect.Type -> []field

// fieldsOf lists the JSON fields of a struct type, embedded structs
// flattened (shallower fields win), as encoding/json sees them.
func fieldsOf(t reflect.Type) []field {
	if f, ok := fieldCache.Load(t); ok {
		return f.([]field)
	}
	var out []field
	seen := map[string]bool{}
	var walk func(t reflect.Type, index []int)
	walk = func(t reflect.Type, index []int) {
		var embedded [][]int
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			tag := sf.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			idx := append(append([]int{}, index...), i)
			ft := sf.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if sf.Anonymous && name == "" && ft.Kind() == reflect.Struct {
				embedded = append(embedded, idx)
				continue
			}
			if !sf.IsExported() {
				continue
			}
			if name == "" {
				name = sf.Name
			}
			if !seen[name] {
				seen[name] = true
				out = append(out, field{name: name, key: ast.StringTerm(name), index: idx, omitEmpty: strings.Contains(","+opts+",", ",omitempty,")})
			}
		}
		for _, idx := range embedded {
			ft := t.FieldByIndex(idx[len(index):]).Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			walk(ft, idx)
		}
	}
	walk(t, nil)
	fieldCache.Store(t, out)
	return out
}

func (c *converter) structValue(rv reflect.Value) (ast.Value, error) {
	fields := fieldsOf(rv.Type())
	obj := ast.NewObjectWithCapacity(len(fields))
	for _, f := range fields {
		fv, ok := fieldByIndex(rv, f.index)
		if !ok || (f.omitEmpty && isEmpty(fv)) {
			continue
		}
		t, err := c.term(fv)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.name, err)
		}
		obj.Insert(f.key, t)
	}
	return obj, nil
}

// term is value as a term: shared for booleans and short strings.
func (c *converter) term(rv reflect.Value) (*ast.Term, error) {
	if rv.IsValid() {
		switch {
		case rv.Kind() == reflect.Bool:
			return ast.InternedTerm(rv.Bool()), nil
		case rv.Kind() == reflect.String && rv.Type() != numberType && !marshals(rv.Type()):
			return c.str(rv.String()), nil
		case rv.Kind() == reflect.Interface && !rv.IsNil():
			return c.term(rv.Elem())
		}
	}
	v, err := c.value(rv)
	if err != nil {
		return nil, err
	}
	return ast.NewTerm(v), nil
}

// fieldByIndex follows an index path through embedded pointers; ok is
// false when a nil embedded pointer hides the field.
func fieldByIndex(rv reflect.Value, index []int) (reflect.Value, bool) {
	for i, x := range index {
		if i > 0 && rv.Kind() == reflect.Pointer {
			if rv.IsNil() {
				return reflect.Value{}, false
			}
			rv = rv.Elem()
		}
		rv = rv.Field(x)
	}
	return rv, true
}

// isEmpty is encoding/json's omitempty test.
func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	}
	return false
}

func viaJSON(v any) (ast.Value, error) {
	js, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return ast.ValueFromReader(strings.NewReader(string(js)))
}
