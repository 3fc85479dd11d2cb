package engine

import (
	"context"
	"fmt"
)

// ProgressHook is a Hook that also hears what a running change is doing:
// a key waiting to work, a bucket being emptied. The executor passes it
// to every change it starts through the change's context.
type ProgressHook interface {
	Hook
	// Progress is called from the change's goroutine, possibly from
	// several at once; msg is one line without a newline.
	Progress(addr Address, msg string)
}

type progressKey struct{}

type progressTarget struct {
	addr Address
	hook ProgressHook
}

// withProgress gives ctx the change's address and the hook to report to.
func withProgress(ctx context.Context, addr Address, h ProgressHook) context.Context {
	return context.WithValue(ctx, progressKey{}, progressTarget{addr: addr, hook: h})
}

// Report tells the user what the running change is doing, for a change
// that may take a while (a line at least every 5 s is the caller's
// duty). It does nothing outside an executor or when the hook does not
// want progress.
func Report(ctx context.Context, format string, args ...any) {
	if t, ok := ctx.Value(progressKey{}).(progressTarget); ok {
		t.hook.Progress(t.addr, fmt.Sprintf(format, args...))
	}
}
