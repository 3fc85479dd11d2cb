package engine

// Hook receives progress from the executor, which never prints: the CLI
// decides how progress is shown (Terraform's hook pattern).
type Hook interface {
	PreApply(c Change)
	PostApply(c Change, err error)
}

// NopHook ignores progress.
type NopHook struct{}

// PreApply does nothing.
func (NopHook) PreApply(Change) {}

// PostApply does nothing.
func (NopHook) PostApply(Change, error) {}
