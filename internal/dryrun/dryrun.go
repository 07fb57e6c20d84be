// Package dryrun holds back what a sync would do outside the database while
// it runs in a transaction: emails and follow-up steps are recorded on the
// context instead of happening. A preview lists them and drops them; an
// apply runs them once its transaction has committed.
package dryrun

import (
	"context"
	"sync"
)

// Mail is an email that was held back.
type Mail struct {
	To, Subject string
}

// Effects collects the held-back effects of one transaction.
type Effects struct {
	mu    sync.Mutex
	mails []Mail
	later []func(context.Context) error
}

type key struct{}

// With returns ctx collecting effects into a new Effects.
func With(ctx context.Context) (context.Context, *Effects) {
	e := &Effects{}
	return context.WithValue(ctx, key{}, e), e
}

// From returns the Effects collecting on ctx, or nil when effects happen
// at once.
func From(ctx context.Context) *Effects {
	e, _ := ctx.Value(key{}).(*Effects)
	return e
}

// Without returns ctx on which effects happen at once.
func Without(ctx context.Context) context.Context {
	return context.WithValue(ctx, key{}, (*Effects)(nil))
}

// HoldMail records an email and how to send it later.
func (e *Effects) HoldMail(m Mail, send func(context.Context) error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.mails = append(e.mails, m)
	e.later = append(e.later, send)
}

// Defer records a step to run after the commit.
func (e *Effects) Defer(step func(context.Context) error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.later = append(e.later, step)
}

// Mails returns the held-back emails in order.
func (e *Effects) Mails() []Mail {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Mail(nil), e.mails...)
}

// Run runs the held-back effects in order with ctx (which must carry no
// transaction and no Effects). Every effect runs; the errors are returned
// together, the first one first.
func (e *Effects) Run(ctx context.Context) []error {
	e.mu.Lock()
	later := e.later
	e.later = nil
	e.mu.Unlock()
	ctx = Without(ctx)
	var errs []error
	for _, f := range later {
		if err := f(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}
