package cli

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/evaluate"
	"github.com/tilsyn/tilsyn/internal/version"
	"github.com/tilsyn/tilsyn/profile"
	"github.com/tilsyn/tilsyn/waiver"
	"github.com/tilsyn/tilsyn/webhook"
)

// webhookConfig is everything `tilsyn webhook` is asked to do.
type webhookConfig struct {
	Listen          string
	CertFile        string
	KeyFile         string
	CertReload      time.Duration
	PolicyDirs      []string
	Profile         string
	Waivers         string
	Mode            webhook.Mode
	ControlModes    map[string]webhook.Mode
	ExemptNS        []string
	ExemptSelector  labels.Selector
	ExemptUsers     []string
	RequestTimeout  time.Duration
	MaxConcurrent   int
	ShutdownDelay   time.Duration
	ShutdownTimeout time.Duration
	HTTP2           bool
	LogLevel        slog.Level
	Kubeconfig      string
	Context         string
	InCluster       bool
	// Snapshot judges against a saved snapshot instead of a live cluster.
	Snapshot string
	// CacheSize bounds the cached results without a change (0: none);
	// Repeats the verdicts kept for the same change judged again (0: none).
	CacheSize, Repeats int
}

// Defaults of `tilsyn webhook`.
const (
	defaultExemptSelector = "tilsyn.io/exempt=true"
	defaultWebhookUser    = "system:serviceaccount:tilsyn:tilsyn-webhook"
)

var defaultExemptNamespaces = []string{"kube-system", "tilsyn"}

const webhookUsage = `Usage: tilsyn webhook --tls-cert-file FILE --tls-key-file FILE [flags]

Serve a Kubernetes validating admission webhook (admission.k8s.io/v1) over
HTTPS that judges every CREATE and UPDATE with the audit's own controls: the
cluster as the webhook's informers see it, with the change applied. Only the
findings the change introduces count — an old problem elsewhere never blocks
an unrelated change. Controls in enforce mode deny the request (naming the
control, the finding and the remediation), warn mode admits it with a
warning, dryrun mode admits it and only logs.

Paths: /validate (reviews), /healthz, /readyz (ready once every informer has
synced), /metrics (Prometheus). Each decision is logged as a JSON line on
standard error. The certificate files are reloaded when they change.`

const webhookExamples = `  # In the cluster (deploy/webhook): the pod's ServiceAccount, cert-manager's files
  tilsyn webhook --in-cluster --tls-cert-file /tls/tls.crt --tls-key-file /tls/tls.key

  # Warn everywhere, but enforce the mesh controls
  tilsyn webhook --tls-cert-file tls.crt --tls-key-file tls.key --mode warn \
    --control-mode MESH-01=enforce --control-mode MESH-02=enforce`

// parseWebhookFlags turns arguments into a webhookConfig.
func parseWebhookFlags(args []string, out io.Writer) (webhookConfig, error) {
	var c webhookConfig
	var mode, selector, logLevel string
	var controlModes []string
	fs := newFlagSet("webhook", webhookUsage, webhookExamples, out)
	fs.StringVar(&c.Listen, "listen", ":8443", "address to serve HTTPS on")
	fs.StringVar(&c.CertFile, "tls-cert-file", "", "PEM certificate (chain) to serve; reloaded when it changes")
	fs.StringVar(&c.KeyFile, "tls-key-file", "", "PEM private key of --tls-cert-file")
	fs.DurationVar(&c.CertReload, "tls-reload-interval", 10*time.Second, "how often to check the certificate files for changes")
	fs.StringArrayVar(&c.PolicyDirs, "policy", nil, "directory of extra Rego policies (same METADATA convention); repeatable")
	fs.StringVar(&c.Profile, "profile", profile.Default, "built-in profile name ("+strings.Join(profile.Names(), ", ")+") or profile YAML file")
	fs.StringVar(&c.Waivers, "waivers", "", "YAML file of auditor-approved waivers (kind WaiverList): waived findings never deny")
	fs.StringVar(&mode, "mode", string(webhook.Enforce), "mode of every control: enforce (deny), warn (admit with a warning) or dryrun (admit, log only)")
	fs.StringArrayVar(&controlModes, "control-mode", nil, "mode of one control, CONTROL=MODE (MESH-05=warn); repeatable")
	fs.StringSliceVar(&c.ExemptNS, "exempt-namespace", defaultExemptNamespaces, "namespaces never judged, besides the webhook's own when in a pod; repeatable or comma-separated")
	fs.StringVar(&selector, "exempt-namespace-selector", defaultExemptSelector, "namespaces whose labels match this selector are never judged (empty: none)")
	fs.StringArrayVar(&c.ExemptUsers, "exempt-user", nil, "users whose requests are never judged; repeatable (default the webhook's own ServiceAccount)")
	fs.DurationVar(&c.RequestTimeout, "request-timeout", webhook.DefaultTimeout, "deadline of one review; keep it below the webhook configuration's timeoutSeconds")
	fs.IntVar(&c.MaxConcurrent, "max-concurrent", 0, "reviews judged at once; the rest wait (default twice the CPUs)")
	fs.DurationVar(&c.ShutdownDelay, "shutdown-delay", 5*time.Second, "on SIGTERM, fail /readyz this long before refusing connections")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 20*time.Second, "on SIGTERM, wait this long for reviews in progress")
	fs.BoolVar(&c.HTTP2, "http2", false, "also serve HTTP/2 (off: HTTP/1.1 only, as most webhooks since the HTTP/2 rapid reset attacks)")
	fs.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&c.Kubeconfig, "kubeconfig", "", "kubeconfig file of the cluster (default $KUBECONFIG, then ~/.kube/config)")
	fs.StringVar(&c.Context, "context", "", "kubeconfig context to use (default the current context)")
	fs.BoolVar(&c.InCluster, "in-cluster", false, "use the pod's ServiceAccount (chosen by itself in a pod without a kubeconfig)")
	fs.IntVar(&c.CacheSize, "cache-size", webhook.DefaultCacheSize, "results of neighbourhoods without the change kept for reuse (0: none)")
	fs.IntVar(&c.Repeats, "repeats", webhook.DefaultRepeats, "verdicts kept for the same change judged again in the same cluster state (0: none)")
	fs.StringVar(&c.Snapshot, "snapshot", "", "judge against a snapshot saved by 'tilsyn collect' instead of a live cluster (trying policies, benchmarks)")
	if err := parseFlags(fs, args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, usagef("webhook takes no arguments, found %q", fs.Arg(0))
	}
	if c.CertFile == "" || c.KeyFile == "" {
		return c, usagef("--tls-cert-file and --tls-key-file are required: the API server only calls webhooks over HTTPS")
	}
	m, err := webhook.ParseMode(mode)
	if err != nil {
		return c, usagef("--mode: %v", err)
	}
	c.Mode = m
	if c.ControlModes, err = webhook.ParseControlModes(controlModes); err != nil {
		return c, usagef("--control-mode %v", err)
	}
	if c.ExemptSelector, err = labels.Parse(selector); err != nil {
		return c, usagef("--exempt-namespace-selector %q: %v", selector, err)
	}
	for _, ns := range c.ExemptNS {
		if ns == "" {
			return c, usagef("--exempt-namespace: empty namespace name")
		}
	}
	switch {
	case c.RequestTimeout <= 0:
		return c, usagef("--request-timeout %v: want a positive duration", c.RequestTimeout)
	case c.CertReload <= 0:
		return c, usagef("--tls-reload-interval %v: want a positive duration", c.CertReload)
	case c.CacheSize < 0:
		return c, usagef("--cache-size %d: want 0 or more", c.CacheSize)
	case c.Repeats < 0:
		return c, usagef("--repeats %d: want 0 or more", c.Repeats)
	case c.MaxConcurrent < 0:
		return c, usagef("--max-concurrent %d: want a positive number", c.MaxConcurrent)
	case c.ShutdownDelay < 0 || c.ShutdownTimeout <= 0:
		return c, usagef("--shutdown-delay and --shutdown-timeout: want positive durations")
	case c.InCluster && (c.Kubeconfig != "" || c.Context != ""):
		return c, usagef("--in-cluster uses the pod's ServiceAccount; do not combine it with --kubeconfig or --context")
	case c.Snapshot != "" && (c.InCluster || c.Kubeconfig != "" || c.Context != ""):
		return c, usagef("--snapshot judges against a saved snapshot; it does not go with --in-cluster, --kubeconfig or --context")
	}
	if err := c.LogLevel.UnmarshalText([]byte(logLevel)); err != nil {
		return c, usagef("--log-level %q: want debug, info, warn or error", logLevel)
	}
	return c, nil
}

func runWebhook(ctx context.Context, s Streams, args []string) error {
	c, err := parseWebhookFlags(args, s.Out)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(s.Err, &slog.HandlerOptions{Level: c.LogLevel}))
	prof, profJSON, err := profile.Load(c.Profile)
	if err != nil {
		return err
	}
	var waivers *waiver.Set
	if c.Waivers != "" {
		if waivers, err = waiver.Load(c.Waivers); err != nil {
			return err
		}
	}
	engine, err := evaluate.New(ctx, evaluate.Options{PolicyDirs: c.PolicyDirs, Profile: prof, ProfileJSON: profJSON, Waivers: waivers})
	if err != nil {
		return err
	}
	var ids []string
	for _, ctl := range engine.Controls() {
		ids = append(ids, ctl.ID)
	}
	policy := webhook.Policy{Default: c.Mode, Controls: c.ControlModes}
	if err := policy.Check(ids); err != nil {
		return usagef("--control-mode: %v", err)
	}
	cert, err := webhook.LoadCertificate(c.CertFile, c.KeyFile, log)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	state, ready, source, err := webhookState(ctx, &c, log)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.Listen, err)
	}
	cacheSize := c.CacheSize
	if cacheSize == 0 {
		cacheSize = -1
	}
	repeats := c.Repeats
	if repeats == 0 {
		repeats = -1
	}
	judge, err := webhook.NewJudge(ctx, engine, prof, state, webhook.JudgeOptions{CacheSize: cacheSize, Repeats: repeats})
	if err != nil {
		l.Close()
		return err
	}
	metrics := webhook.NewMetrics()
	handler := webhook.NewHandler(judge, webhook.Options{
		Policy:        policy,
		Exempt:        webhook.Exemptions{Namespaces: c.ExemptNS, Selector: c.ExemptSelector, Users: c.ExemptUsers},
		Timeout:       c.RequestTimeout,
		MaxConcurrent: c.MaxConcurrent,
		Log:           log,
		Metrics:       metrics,
		Ready:         ready,
	})
	go cert.Watch(ctx, c.CertReload)
	go webhook.CountObjects(ctx, state, metrics, 30*time.Second)
	log.Info("serving admission reviews", "listen", l.Addr().String(), "cluster", source, "mode", c.Mode,
		"controlModes", c.ControlModes, "exemptNamespaces", c.ExemptNS, "exemptSelector", c.ExemptSelector.String(),
		"exemptUsers", c.ExemptUsers, "http2", c.HTTP2, "controls", len(ids), "policyDigest", engine.PolicyDigest(), "version", version.Version)
	return webhook.Serve(ctx, l, webhook.ServerOptions{
		Certificate: cert, Handler: handler, Metrics: metrics, Ready: ready,
		ShutdownDelay: c.ShutdownDelay, ShutdownTimeout: c.ShutdownTimeout, HTTP2: c.HTTP2, Log: log,
	})
}

// webhookState is the cluster state to judge against: a saved snapshot,
// or a live cluster kept current by informers (ready once they synced).
func webhookState(ctx context.Context, c *webhookConfig, log *slog.Logger) (*webhook.State, func() bool, string, error) {
	if c.Snapshot != "" {
		snap, err := collect.ReadSnapshot(c.Snapshot)
		if err != nil {
			return nil, nil, "", err
		}
		if len(c.ExemptUsers) == 0 {
			c.ExemptUsers = []string{defaultWebhookUser}
		}
		return webhook.FromSnapshot(snap), func() bool { return true }, "snapshot " + c.Snapshot, nil
	}
	conn, err := collect.Connect(collect.ConnectOptions{Kubeconfig: c.Kubeconfig, Context: c.Context, InCluster: c.InCluster,
		ServiceAccountDir: serviceAccountDir, UserAgent: "tilsyn-webhook/" + version.Version})
	if err != nil {
		return nil, nil, "", err
	}
	if len(c.ExemptUsers) == 0 {
		c.ExemptUsers = []string{selfUser(conn)}
	}
	// The webhook's own namespace is exempt wherever it is deployed.
	if conn.InCluster {
		if data, err := os.ReadFile(filepath.Join(serviceAccountDir, "namespace")); err == nil {
			if ns := strings.TrimSpace(string(data)); ns != "" && !slices.Contains(c.ExemptNS, ns) {
				c.ExemptNS = append(c.ExemptNS, ns)
			}
		}
	}
	state := webhook.NewState()
	informers, err := webhook.StartInformers(ctx, conn.Config, state, log)
	if err != nil {
		return nil, nil, "", err
	}
	return state, informers.Ready, conn.Config.Host, nil
}

// selfUser is the user name the API server knows this process by, read
// from its ServiceAccount token (the subject claim) when running in a pod;
// otherwise the deploy/webhook ServiceAccount.
func selfUser(conn *collect.Connection) string {
	if conn.Config.BearerTokenFile == "" {
		return defaultWebhookUser
	}
	data, err := os.ReadFile(filepath.Clean(conn.Config.BearerTokenFile))
	if err != nil {
		return defaultWebhookUser
	}
	if sub, err := tokenSubject(strings.TrimSpace(string(data))); err == nil && sub != "" {
		return sub
	}
	return defaultWebhookUser
}

// tokenSubject reads the sub claim of a JWT without verifying it (it is
// this process's own token, only used to recognise its own requests).
func tokenSubject(token string) (string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", errors.New("not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", err
	}
	var claims struct {
		Sub string `json:"sub"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return "", err
	}
	return claims.Sub, nil
}
