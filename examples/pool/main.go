// Command pool shows a team working an unassigned pool: form submissions
// arrive without an owner, and three sales reps claim them at the same
// time. Every submission ends up with exactly one owner; a rep who loses a
// race is told the contact is already assigned and moves on. Each claim
// notifies its new owner.
//
//	go run ./examples/pool
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/memstore"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "pool:", err)
		os.Exit(1)
	}
}

// inbox counts the notifications each user received.
type inbox struct {
	mu     sync.Mutex // guards counts
	counts map[ownership.UserID]int
}

// HandleEvent counts the new owners of the event.
func (b *inbox) HandleEvent(_ context.Context, e ownership.Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, u := range e.Assigned {
		b.counts[u]++
	}
}

func run(ctx context.Context, out io.Writer) error {
	policy, err := ownership.NewPolicy(map[string]ownership.RoleDef{
		"sales_rep": {Types: map[string]ownership.Permissions{
			"contact": {View: ownership.Own | ownership.Unassigned, Update: ownership.Own, Claim: true},
		}},
	})
	if err != nil {
		return err
	}
	store := memstore.New()
	reps := []ownership.User{
		{ID: "ana", Email: "ana@example.com", Roles: []string{"sales_rep"}},
		{ID: "ben", Email: "ben@example.com", Roles: []string{"sales_rep"}},
		{ID: "chi", Email: "chi@example.com", Roles: []string{"sales_rep"}},
	}
	for _, u := range reps {
		if err := store.PutUser(ctx, u); err != nil {
			return err
		}
	}
	notified := &inbox{counts: map[ownership.UserID]int{}}
	m := &ownership.Manager{Policy: policy, Store: store, Users: store, Subscribers: []ownership.Subscriber{notified}}

	// Twelve form submissions land in the pool, unassigned.
	var pool []ownership.Ref
	for i := 1; i <= 12; i++ {
		ref := ownership.Ref{Type: "contact", ID: fmt.Sprintf("lead-%02d", i)}
		if _, err := m.Create(ctx, ownership.Record{Ref: ref}, ownership.Creation{Source: ownership.SourceForm}); err != nil {
			return err
		}
		pool = append(pool, ref)
	}
	fmt.Fprintf(out, "%d form submissions in the pool, all unassigned\n", len(pool))

	// The reps work the pool at once, each from a different starting point.
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex // guards lost and errs
		lost  int
		errs  []error
		start = make(chan struct{})
	)
	for i, rep := range reps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for j := range pool {
				ref := pool[(j+i*4)%len(pool)]
				_, err := m.Claim(ctx, rep.Subject(), ref)
				var d ownership.Decision
				switch {
				case err == nil:
					time.Sleep(3 * time.Millisecond) // the rep works the lead before taking the next
				case errors.As(err, new(*ownership.DeniedError)):
					d, _ = ownership.DenialOf(err)
					if d.Reason != ownership.ReasonAlreadyAssigned {
						err = fmt.Errorf("unexpected denial: %w", err)
						break
					}
					mu.Lock()
					lost++
					mu.Unlock()
					continue
				}
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	if len(errs) > 0 {
		return errors.Join(errs...)
	}

	owners := map[ownership.UserID][]string{}
	for _, ref := range pool {
		r, err := store.Get(ctx, ref)
		if err != nil {
			return err
		}
		o := r.Ownership.Owners()
		if len(o) != 1 {
			return fmt.Errorf("%s has owners %v, want exactly one", ref, o)
		}
		owners[o[0]] = append(owners[o[0]], ref.ID)
	}
	ids := make([]string, 0, len(owners))
	for id := range owners {
		ids = append(ids, string(id))
	}
	sort.Strings(ids)
	total := 0
	for _, id := range ids {
		leads := owners[ownership.UserID(id)]
		slices.Sort(leads)
		total += len(leads)
		fmt.Fprintf(out, "%s claimed %d and was notified %d times\n", id, len(leads), notified.counts[ownership.UserID(id)])
	}
	fmt.Fprintf(out, "every submission has exactly one owner (%d of %d); %d claims lost a race and were told \"already assigned\"\n", total, len(pool), lost)
	return nil
}
