package awskinds

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/awsboot/awsboot/provision/awsapi"
	"github.com/awsboot/awsboot/provision/engine"
)

// Connector is implemented by every kind: the stack hands it its clients
// once connected, and the kind keeps only the narrow interface it
// declares. A graph is built, and can be explained, without connecting.
type Connector interface {
	Connect(c *awsapi.Clients)
}

// boolStr shows an optional bool as "true" or "false" (unset is false).
func boolStr(b *bool) string {
	if b != nil && *b {
		return "true"
	}
	return "false"
}

// sortedUnique returns the distinct values, sorted.
func sortedUnique(in []string) []string {
	out := slices.Clone(in)
	slices.Sort(out)
	return slices.Compact(out)
}

// NormThumbprints lower-cases, sorts and de-duplicates OIDC thumbprints,
// so lists that differ only in case or order compare equal.
func NormThumbprints(in []string) []string {
	out := make([]string, len(in))
	for i, t := range in {
		out[i] = strings.ToLower(t)
	}
	return sortedUnique(out)
}

// noRetry turns the SDK's retries off for one call. Calls that create a
// new object each time they succeed (CreateAccessKey, CreatePolicyVersion)
// must not be retried blindly: when the first attempt reached IAM and only
// its answer was lost (a 500 after the fact, a reset connection), a retry
// makes a second key or a duplicate version. Without retries the run
// stops there, and the next run reconciles what exists (an orphaned key
// is recognised by the user's pending tag; a new version by its
// document).
func noRetry(o *iam.Options) { o.Retryer = aws.NopRetryer{} }

// ownedBy reports whether a fresh Read of k finds the object carrying
// the stack's tag: after a create whose answer was lost, the SDK's retry
// meets EntityAlreadyExists, and the object is the first attempt's
// exactly when it carries the tag the create call set. Errors count as
// not owned (the create's error is reported).
func ownedBy[S any](ctx context.Context, k interface {
	Read(ctx context.Context) (*engine.Observation, S, error)
}, stack string) bool {
	o, _, err := k.Read(ctx)
	return err == nil && o.Exists && o.Owner == stack
}

func (u *IAMUser) ownedNow(ctx context.Context) bool      { return ownedBy(ctx, u, u.cfg.Stack) }
func (r *IAMRole) ownedNow(ctx context.Context) bool      { return ownedBy(ctx, r, r.cfg.Stack) }
func (p *IAMPolicy) ownedNow(ctx context.Context) bool    { return ownedBy(ctx, p, p.cfg.Stack) }
func (p *OIDCProvider) ownedNow(ctx context.Context) bool { return ownedBy(ctx, p, p.cfg.Stack) }

// concurrently runs every fn at once and returns when all have returned.
// Against AWS a request costs a round trip (about 100 ms), so requests
// that do not wait for each other's answers (a user and its listings, a
// policy's tags and document) are sent together: the read costs one
// round trip instead of one per request.
func concurrently(fns ...func()) {
	if len(fns) == 1 {
		fns[0]()
		return
	}
	var wg sync.WaitGroup
	for _, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn()
		}()
	}
	wg.Wait()
}

// allOf runs every fn at once and joins their errors in fns' order, so a
// message does not depend on which request answered first. A failure
// cancels nothing: as in the executor, running work finishes.
func allOf(fns ...func() error) error {
	return errors.Join(errorsOf(fns...)...)
}

// errorsOf runs every fn at once and returns their errors in fns' order
// (nil where one succeeded), for callers that pick among them.
func errorsOf(fns ...func() error) []error {
	errs := make([]error, len(fns))
	wrapped := make([]func(), len(fns))
	for i, fn := range fns {
		wrapped[i] = func() { errs[i] = fn() }
	}
	concurrently(wrapped...)
	return errs
}

// maxInFlight bounds the requests forEach has in flight: the CLI's
// default --parallelism, so a user with many policies to detach does not
// send IAM a burst it throttles.
const maxInFlight = 4

// forEach calls fn for every item, at most maxInFlight at a time, and
// joins the errors in items' order. It is for writes to distinct objects
// (detaching policies, deleting keys or versions), never two changes of
// one object's attributes: IAM may refuse those with
// ConcurrentModification.
func forEach[T any](items []T, fn func(T) error) error {
	errs := make([]error, len(items))
	sem := make(chan struct{}, maxInFlight)
	var wg sync.WaitGroup
	for i, it := range items {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs[i] = fn(it)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Clock is what a wait reads the time from and sleeps on: the real clock
// in awsboot, a simulated one in tests, so that a test can wait 30 s of
// simulated time in no time.
type Clock interface {
	// Now is the current time.
	Now() time.Time
	// Sleep returns after d, or at once with ctx's error when ctx is
	// done first.
	Sleep(ctx context.Context, d time.Duration) error
}

// realClock is the wall clock.
type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// ShiftedClock is the wall clock moved by d: it sleeps in real time, but
// Now is d later. It is the clock of AWSBOOT_TEST_NOW, a test seam that
// makes keys look older than max_key_age.
func ShiftedClock(d time.Duration) Clock { return shiftedClock{d} }

type shiftedClock struct{ d time.Duration }

func (c shiftedClock) Now() time.Time { return time.Now().Add(c.d) }

func (shiftedClock) Sleep(ctx context.Context, d time.Duration) error {
	return realClock{}.Sleep(ctx, d)
}
