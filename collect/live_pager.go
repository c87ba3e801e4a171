package collect

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/rest"
)

// metadataOnly asks the API server for PartialObjectMetadataList: names,
// labels, annotations and owners, never the objects' contents. There is no
// fallback to full objects; a server that cannot answer this way fails the
// list.
const metadataOnly = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"

// maxRestarts bounds how often a list restarts after its continue token
// expired.
const maxRestarts = 3

// pager lists one resource page by page.
type pager struct {
	client   rest.Interface
	pageSize int64
	// onPage is told the number of objects gathered so far.
	onPage func(n int)
	// afterPage, when set, runs after each page that has a continuation
	// (tests use it to make the continue token expire).
	afterPage func(continueToken string)
}

// listPage is the part of a list response tilsyn reads. Items are decoded
// with UseNumber, like manifests.
type listPage struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Continue string `json:"continue"`
	} `json:"metadata"`
	Items []map[string]any `json:"items"`
}

// list returns every object at path (an API path such as /api/v1/pods),
// sanitized as each page arrives and stamped with apiVersion and kind
// (list items of built-in types carry neither). With metaOnly, only
// object metadata is requested. When the continue token expires (410
// Gone: the snapshot the pages come from was compacted) the list starts
// over, so that the result is one consistent snapshot.
func (p *pager) list(ctx context.Context, path string, s served, metaOnly bool) ([]Object, error) {
	var out []Object
	cont, restarts := "", 0
	for {
		req := p.client.Get().AbsPath(path).Param("limit", strconv.FormatInt(p.pageSize, 10))
		if cont != "" {
			req = req.Param("continue", cont)
		}
		if metaOnly {
			req = req.SetHeader("Accept", metadataOnly)
		}
		body, err := raw(req.Do(ctx))
		if err != nil {
			if cont != "" && isExpired(err) && restarts < maxRestarts {
				restarts++
				out, cont = out[:0], ""
				continue
			}
			if cont != "" && isExpired(err) {
				return nil, fmt.Errorf("the list kept changing faster than it could be read: continue token expired %d times: %w", restarts+1, err)
			}
			return nil, err
		}
		var page listPage
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(&page); err != nil {
			return nil, fmt.Errorf("decode %s: %w", path, err)
		}
		if metaOnly && page.Kind != "PartialObjectMetadataList" {
			return nil, fmt.Errorf("%s: the API server answered %q instead of object metadata only", path, page.Kind)
		}
		for _, o := range page.Items {
			o["apiVersion"], o["kind"] = s.apiVersion(), s.t.Kind
			out = append(out, Sanitize(o, s.t))
		}
		if p.onPage != nil {
			p.onPage(len(out))
		}
		if page.Metadata.Continue == "" {
			return out, nil
		}
		cont = page.Metadata.Continue
		if p.afterPage != nil {
			p.afterPage(cont)
		}
	}
}

// get returns one object, or nil when it does not exist.
func (p *pager) get(ctx context.Context, path string, s served) (Object, error) {
	body, err := raw(p.client.Get().AbsPath(path).Do(ctx))
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var o Object
	if err := dec.Decode(&o); err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	o["apiVersion"], o["kind"] = s.apiVersion(), s.t.Kind
	return Sanitize(o, s.t), nil
}

// raw returns the body of a response, or its error with the API server's
// Status (reason and message) when there is one.
func raw(r rest.Result) ([]byte, error) {
	if err := r.Error(); err != nil {
		return nil, err
	}
	return r.Raw()
}

// isExpired reports whether a list failed because its continue token
// expired.
func isExpired(err error) bool {
	return apierrors.IsResourceExpired(err) || apierrors.IsGone(err) ||
		apierrors.ReasonForError(err) == "" && statusCode(err) == http.StatusGone
}

func statusCode(err error) int {
	if s, ok := err.(apierrors.APIStatus); ok {
		return int(s.Status().Code)
	}
	return 0
}

// resourcePath is the API path of a resource, in a namespace or not.
func resourcePath(s served, namespace string) string {
	p := "/apis/" + s.t.Group + "/" + s.version
	if s.t.Group == "" {
		p = "/api/" + s.version
	}
	if namespace != "" {
		p += "/namespaces/" + namespace
	}
	return p + "/" + s.t.Key
}
