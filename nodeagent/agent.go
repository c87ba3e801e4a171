// Package nodeagent is tilsyn's node agent: on each node it reads the
// kernel settings of control RES-01 from a proc tree (package nodetuning)
// and publishes them every interval as the ConfigMap tilsyn-node-<node> in
// the tilsyn namespace, where the collector finds them. The Kubernetes API
// does not show kernel settings; this record is the only evidence of them.
//
// The agent runs on every node, so it is kept small: it takes from
// client-go only the connection (configuration, TLS, authentication), not
// the typed clientsets, whose API scheme costs megabytes of memory to
// initialise; it keeps the few files it reads open, and sends one request
// per interval, a server-side apply that creates or updates the record.
package nodeagent

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"k8s.io/client-go/rest"

	"github.com/tilsyn/tilsyn/nodetuning"
)

// FieldManager is the field manager of the agent's server-side applies.
const FieldManager = "tilsyn-node-agent"

// applyPatchType is the content type of a server-side apply.
const applyPatchType = "application/apply-patch+yaml"

// Labels are the labels of every record ConfigMap.
func Labels() map[string]string {
	return map[string]string{
		"app.kubernetes.io/name":       "tilsyn",
		nodetuning.ComponentLabel:      nodetuning.Component,
		"app.kubernetes.io/managed-by": FieldManager,
	}
}

// Options configure a running agent.
type Options struct {
	// Proc is the proc tree to read (nodetuning.DefaultProc when empty).
	Proc string
	// NodeName names the record: the ConfigMap is tilsyn-node-<NodeName>.
	NodeName string
	// Namespace holds the record (nodetuning.Namespace when empty).
	Namespace string
	// Interval is the time between two records; Once publishes one and
	// returns.
	Interval time.Duration
	Once     bool
	// Config reaches the API server.
	Config *rest.Config
	// Version is the agent version recorded with each record.
	Version string
	// Log receives what goes wrong, and a line when publishing starts or
	// recovers; nothing is written while all is well.
	Log io.Writer
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Agent reads and publishes one node's record.
type Agent struct {
	opts   Options
	reader *nodetuning.Reader
	client *http.Client
	// transport is the client's innermost transport (tests close its
	// idle connections).
	transport *http.Transport
	// path is the record's API path, url the whole address of its apply.
	path, url string
	// kernel and cpus are read once: they do not change while a node runs.
	kernel, cpus nodetuning.Value
}

// New checks the options and the proc tree and prepares the client.
func New(opts Options) (*Agent, error) {
	if opts.Namespace == "" {
		opts.Namespace = nodetuning.Namespace
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	if err := nodetuning.CheckNodeName(opts.NodeName); err != nil {
		return nil, err
	}
	if !opts.Once && opts.Interval <= 0 {
		return nil, fmt.Errorf("interval %v: want a positive duration", opts.Interval)
	}
	if opts.Config == nil {
		return nil, errors.New("no connection to a cluster")
	}
	a := &Agent{opts: opts, reader: &nodetuning.Reader{Root: opts.Proc, Keep: true},
		path: "/api/v1/namespaces/" + opts.Namespace + "/configmaps/" + nodetuning.ConfigMapName(opts.NodeName)}
	if err := a.reader.CheckRoot(); err != nil {
		return nil, err
	}
	client, transport, err := httpClient(opts.Config, opts.Version)
	if err != nil {
		return nil, fmt.Errorf("client for %s: %w", opts.Config.Host, err)
	}
	a.client, a.transport = client, transport
	host := opts.Config.Host
	if !strings.Contains(host, "://") {
		host = "https://" + host
	}
	a.url = strings.TrimSuffix(host, "/") + a.path + "?fieldManager=" + FieldManager + "&force=true"
	a.kernel, a.cpus = a.reader.Static()
	return a, nil
}

// httpClient returns the client of the agent's one request per interval:
// client-go's TLS configuration and authentication (a rotated
// ServiceAccount token is read again) on a plain HTTP/1.1 transport. The
// agent sends one request every few minutes, long after any idle
// connection has been closed (the API server closes them after 90 s), so
// it keeps TLS sessions to resume instead of verifying the server's
// certificate chain anew each time, and does without HTTP/2 and
// client-go's request machinery, which cost more CPU than the request.
func httpClient(cfg *rest.Config, version string) (*http.Client, *http.Transport, error) {
	c := rest.CopyConfig(cfg)
	if c.UserAgent == "" {
		c.UserAgent = FieldManager + "/" + version
	}
	tlsConfig, err := rest.TLSConfigFor(c)
	if err != nil {
		return nil, nil, err
	}
	if tlsConfig != nil {
		tlsConfig.NextProtos = []string{"http/1.1"}
		tlsConfig.ClientSessionCache = tls.NewLRUClientSessionCache(2)
		// Classical key exchange only: the hybrid post-quantum one (Go's
		// default) costs about 0.3 ms of CPU per connection, a third of a
		// cycle. What it would protect in the long term is not secret: the
		// record is a node's kernel settings, published for any reader of
		// the ConfigMap, and the token is bound to the pod and expires
		// within hours.
		tlsConfig.CurvePreferences = []tls.CurveID{tls.X25519, tls.CurveP256}
	}
	proxy := c.Proxy
	if proxy == nil {
		proxy = http.ProxyFromEnvironment
	}
	t := &http.Transport{
		Proxy:               proxy,
		DialContext:         (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:     tlsConfig,
		TLSHandshakeTimeout: 10 * time.Second,
		MaxIdleConns:        1,
		IdleConnTimeout:     90 * time.Second,
	}
	rt, err := rest.HTTPWrappersForConfig(c, t)
	if err != nil {
		return nil, nil, err
	}
	timeout := c.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	return &http.Client{Transport: rt, Timeout: timeout}, t, nil
}

// Run publishes a record now and then every interval until ctx is done
// (then it returns nil), or once with Once (then it returns the publishing
// error, if any). A failed publication is logged and retried at the next
// interval: the record ages meanwhile, and a collector reading it too late
// finds it stale, which is the honest outcome.
func (a *Agent) Run(ctx context.Context) error {
	defer a.reader.Close()
	if a.opts.Once {
		return a.Cycle(ctx)
	}
	t := time.NewTicker(a.opts.Interval)
	defer t.Stop()
	failing := true
	for {
		if err := a.Cycle(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			fmt.Fprintf(a.opts.Log, "tilsyn-node-agent: %v (next attempt in %v)\n", err, a.opts.Interval)
			failing = true
		} else if failing {
			fmt.Fprintf(a.opts.Log, "tilsyn-node-agent: published %s/%s, every %v\n",
				a.opts.Namespace, nodetuning.ConfigMapName(a.opts.NodeName), a.opts.Interval)
			failing = false
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Cycle reads the settings and publishes one record.
func (a *Agent) Cycle(ctx context.Context) error {
	rec := nodetuning.Record{Node: a.opts.NodeName, CollectedAt: a.opts.Now().UTC().Truncate(time.Second),
		AgentVersion: a.opts.Version, Kernel: a.kernel, CPUs: a.cpus}
	rec.Sysctls, rec.ConntrackCount = a.reader.Settings()
	body, err := a.configMap(rec)
	if err != nil {
		return err
	}
	if err := a.apply(ctx, body); err != nil {
		return fmt.Errorf("publish %s/%s: %w", a.opts.Namespace, nodetuning.ConfigMapName(a.opts.NodeName), err)
	}
	return nil
}

// apply sends one server-side apply and reads the answer: the applied
// ConfigMap, or a Status saying why not.
func (a *Agent) apply(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPatch, a.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", applyPatchType)
	req.Header.Set("Accept", "application/json")
	resp, err := a.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 == 2 {
		return nil
	}
	var status struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(answer, &status) == nil && status.Message != "" {
		return fmt.Errorf("%s (HTTP %d)", status.Message, resp.StatusCode)
	}
	return fmt.Errorf("HTTP %s", resp.Status)
}

// configMap is the applied configuration: the record and the labels.
func (a *Agent) configMap(rec nodetuning.Record) ([]byte, error) {
	doc, err := rec.Encode()
	if err != nil {
		return nil, err
	}
	type meta struct {
		Name      string            `json:"name"`
		Namespace string            `json:"namespace"`
		Labels    map[string]string `json:"labels"`
	}
	return json.Marshal(struct {
		APIVersion string            `json:"apiVersion"`
		Kind       string            `json:"kind"`
		Metadata   meta              `json:"metadata"`
		Data       map[string]string `json:"data"`
	}{"v1", "ConfigMap", meta{nodetuning.ConfigMapName(a.opts.NodeName), a.opts.Namespace, Labels()},
		map[string]string{nodetuning.DataKey: string(doc)}})
}
