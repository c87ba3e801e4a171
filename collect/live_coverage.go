package collect

import (
	"context"
	"errors"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// How a live collection turns API errors into coverage: a resource type
// that cannot be listed is evidence of a gap, recorded with the reason; only
// a cluster that cannot be used at all is an error.

// reachError explains why the cluster could not be used at all.
func reachError(host string, opts LiveOptions, err error) error {
	where := host
	if opts.Connection.Context != "" {
		where += " (context " + opts.Connection.Context + ")"
	}
	switch {
	case apierrors.IsUnauthorized(err):
		return fmt.Errorf("the API server at %s rejected the credentials (401 Unauthorized): %w", where, err)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("cannot reach the API server at %s within %v: %w", where, opts.Timeout, err)
	default:
		return fmt.Errorf("cannot reach the API server at %s: %w", where, err)
	}
}

// classify turns a list error into a coverage status and reason.
func classify(ctx context.Context, opts LiveOptions, err error) (CoverageStatus, string) {
	// The client's rate limiter refuses to wait past the deadline with an
	// error of its own, before the context expires.
	timedOut := errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) ||
		opts.Timeout > 0 && strings.Contains(err.Error(), "would exceed context deadline")
	switch {
	case apierrors.IsForbidden(err):
		return Forbidden, errorMessage(err)
	case apierrors.IsNotFound(err):
		return Absent, "not served: " + errorMessage(err)
	case timedOut:
		return Failed, fmt.Sprintf("timed out: the collection did not finish within %v (at most %g requests a second)", opts.Timeout, opts.QPS)
	case apierrors.IsTimeout(err) || apierrors.IsServerTimeout(err):
		return Failed, "the API server timed out: " + errorMessage(err)
	default:
		return Failed, errorMessage(err)
	}
}

func errorMessage(err error) string {
	var s apierrors.APIStatus
	if errors.As(err, &s) && s.Status().Message != "" {
		return s.Status().Message
	}
	return err.Error()
}
