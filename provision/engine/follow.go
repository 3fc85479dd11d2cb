package engine

// KindFollower is implemented by kinds whose wanted content is taken, at
// apply time, from what a dependency makes: a file that holds an access
// key's secret is rewritten from the credentials profile after the key.
// Their own Read cannot see that the dependency will change (reads run
// side by side and never write), so MakePlan asks them: for each
// dependency whose planned change has a value known only after apply,
// Follow returns the diffs this resource then needs (nil: none). A
// follower that was up to date becomes an Update with them, so the file
// is rewritten in the same run as the key, not one run later.
type KindFollower[S any] interface {
	Follow(o *Observation, s S, dep Change) []FieldDiff
}

// Follower is the untyped form of KindFollower. Every resource Typed
// makes implements it, answering nil for a kind without the hook.
type Follower interface {
	Follow(o *Observation, dep Change) []FieldDiff
}

// Follow implements Follower.
func (t *typed[S]) Follow(o *Observation, dep Change) []FieldDiff {
	if k, ok := t.k.(KindFollower[S]); ok && o != nil {
		return k.Follow(o, stateOf[S](o), dep)
	}
	return nil
}

// unknownAfterApply reports a change with a value known only after
// apply (a new key's id).
func unknownAfterApply(c Change) bool {
	if c.Action != Create && c.Action != Update {
		return false
	}
	for _, d := range c.Diffs {
		if d.Unknown {
			return true
		}
	}
	return false
}

// follow turns up-to-date followers of a dependency planned with values
// known only after apply into updates. changes are in dependency order,
// so a follower's own follower sees its new action.
func follow(changes []Change) {
	at := make(map[Address]int, len(changes))
	for i, c := range changes {
		at[c.Addr] = i
	}
	for i := range changes {
		c := &changes[i]
		f, ok := c.res.(Follower)
		if !ok || c.Action != NoOp {
			continue
		}
		for _, dep := range c.res.DependsOn() {
			j, ok := at[dep]
			if !ok || !unknownAfterApply(changes[j]) {
				continue
			}
			if d := f.Follow(c.obs, changes[j]); len(d) > 0 {
				c.Action, c.Diffs = Update, d
				break
			}
		}
	}
}
