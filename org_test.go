package ownership_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/memstore"
)

type (
	User    = ownership.User
	Team    = ownership.Team
	Queue   = ownership.Queue
	OrgDef  = ownership.OrgDef
	UserID  = ownership.UserID
	TeamID  = ownership.TeamID
	QueueID = ownership.QueueID
)

// salesOrg: a VP over a director over two reps; a sales team with two
// child teams, the director managing the sales team; a support queue.
func salesOrg() OrgDef {
	return OrgDef{
		Teams: []Team{
			{ID: "sales", Managers: []UserID{"dir"}},
			{ID: "east", Parent: "sales"},
			{ID: "west", Parent: "sales"},
		},
		Queues: []Queue{{ID: "support"}},
		Users: []User{
			{ID: "vp"},
			{ID: "dir", Manager: "vp", Teams: []TeamID{"sales"}},
			{ID: "ann", Manager: "dir", Teams: []TeamID{"east"}, Queues: []QueueID{"support"}},
			{ID: "bob", Manager: "dir", Teams: []TeamID{"east"}},
			{ID: "cat", Manager: "ann", Teams: []TeamID{"west"}},
			{ID: "dan", Teams: []TeamID{"sales"}},
		},
	}
}

func TestOrgReach(t *testing.T) {
	o, err := ownership.NewOrg(salesOrg())
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		user             UserID
		teammates, below []UserID
		queues           []QueueID
	}{
		// A member reaches the members of its own teams only.
		{"ann", []UserID{"ann", "bob"}, []UserID{"cat"}, []QueueID{"support"}},
		{"cat", []UserID{"cat"}, nil, nil},
		// A member of the parent team does not reach the child teams.
		{"dan", []UserID{"dan", "dir"}, nil, nil},
		// The sales team's manager reaches it and every team below.
		{"dir", []UserID{"ann", "bob", "cat", "dan", "dir"}, []UserID{"ann", "bob", "cat"}, nil},
		// The hierarchy is transitive.
		{"vp", nil, []UserID{"ann", "bob", "cat", "dir"}, nil},
		{"nobody", nil, nil, nil},
	}
	for _, c := range cases {
		r := o.Reach(c.user)
		below := r.Reports()
		slices.Sort(below)
		if got := r.Teammates(); !slices.Equal(got, c.teammates) {
			t.Errorf("%s: teammates %v, want %v", c.user, got, c.teammates)
		}
		if !slices.Equal(below, c.below) {
			t.Errorf("%s: reports %v, want %v", c.user, below, c.below)
		}
		if got := r.Queues(); !slices.Equal(got, c.queues) {
			t.Errorf("%s: queues %v, want %v", c.user, got, c.queues)
		}
	}
	if got := o.Above("cat"); !slices.Equal(got, []UserID{"ann", "dir", "vp"}) {
		t.Errorf("Above(cat) = %v", got)
	}
	if got := o.Members("support"); !slices.Equal(got, []UserID{"ann"}) {
		t.Errorf("Members(support) = %v", got)
	}
	if _, ok := o.Subject("nobody"); ok {
		t.Error("Subject of an unknown user succeeded")
	}
	var nilOrg *ownership.Org
	if s, ok := nilOrg.Subject("ann"); ok || s.ID != "" || !nilOrg.Reach("ann").IsZero() {
		t.Error("a nil Org knows users")
	}
}

func TestOrgDefRoundTrip(t *testing.T) {
	o, err := ownership.NewOrg(salesOrg())
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(o.Def())
	if err != nil {
		t.Fatal(err)
	}
	var def OrgDef
	if err := json.Unmarshal(b, &def); err != nil {
		t.Fatal(err)
	}
	o2, err := ownership.NewOrg(def)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range salesOrg().Users {
		if a, b := o.Reach(u.ID), o2.Reach(u.ID); !slices.Equal(a.Teammates(), b.Teammates()) || len(a.Reports()) != len(b.Reports()) {
			t.Errorf("%s: the round trip changed the reach", u.ID)
		}
	}
	// The Org keeps copies: editing the definition changes nothing.
	def.Users[2].Teams[0] = "west"
	if got := o2.Reach("ann").Teammates(); !slices.Contains(got, "bob") {
		t.Errorf("editing the definition changed the Org: %v", got)
	}
}

// TestNewOrgErrors checks that every problem is reported, each at its
// path, in one error wrapping ErrInvalid, and that loops are reported
// once each, not followed.
func TestNewOrgErrors(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(*OrgDef)
		paths []string
	}{
		// A user or team lost to a bad id leaves its references dangling,
		// and those are reported too.
		{"empty user id", func(d *OrgDef) { d.Users[0].ID = "" }, []string{"users[0].id", "users[1].manager"}},
		{"duplicate user", func(d *OrgDef) { d.Users[1].ID = "vp" }, []string{"users[1].id", "teams[0].managers[0]", "users[2].manager", "users[3].manager"}},
		{"duplicate team", func(d *OrgDef) { d.Teams[2].ID = "east" }, []string{"teams[2].id", "users[4].teams[0]"}},
		{"duplicate queue", func(d *OrgDef) { d.Queues = append(d.Queues, Queue{ID: "support"}) }, []string{"queues[1].id"}},
		{"unknown team", func(d *OrgDef) { d.Users[2].Teams = []TeamID{"east", "north"} }, []string{"users[2].teams[1]"}},
		{"team listed twice", func(d *OrgDef) { d.Users[2].Teams = []TeamID{"east", "east"} }, []string{"users[2].teams[1]"}},
		{"unknown queue", func(d *OrgDef) { d.Users[3].Queues = []QueueID{"billing"} }, []string{"users[3].queues[0]"}},
		{"unknown manager", func(d *OrgDef) { d.Users[3].Manager = "ghost" }, []string{"users[3].manager"}},
		{"own manager", func(d *OrgDef) { d.Users[3].Manager = "bob" }, []string{"users[3].manager"}},
		{"manager loop", func(d *OrgDef) { d.Users[0].Manager = "cat" }, []string{"users[0].manager"}},
		{"unknown parent team", func(d *OrgDef) { d.Teams[1].Parent = "emea" }, []string{"teams[1].parent"}},
		{"own parent team", func(d *OrgDef) { d.Teams[1].Parent = "east" }, []string{"teams[1].parent"}},
		{"team loop", func(d *OrgDef) { d.Teams[0].Parent = "west" }, []string{"teams[0].parent"}},
		{"unknown team manager", func(d *OrgDef) { d.Teams[0].Managers = []UserID{"ghost"} }, []string{"teams[0].managers[0]"}},
		{"team in another tenant", func(d *OrgDef) { d.Users[2].Tenant = "acme" }, []string{"users[2].teams[0]", "users[2].queues[0]", "users[2].manager", "users[4].manager"}},
		{"parent team in another tenant", func(d *OrgDef) { d.Teams[2].Tenant = "acme" }, []string{"teams[2].parent", "users[4].teams[0]"}},
		{"queue in another tenant", func(d *OrgDef) { d.Queues[0].Tenant = "acme" }, []string{"users[2].queues[0]"}},
		{"several problems at once", func(d *OrgDef) {
			d.Users[0].Manager = "ghost"
			d.Teams[1].Parent = "emea"
			d.Users[5].Queues = []QueueID{"billing"}
		}, []string{"users[0].manager", "teams[1].parent", "users[5].queues[0]"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			def := salesOrg()
			c.edit(&def)
			o, err := ownership.NewOrg(def)
			if err == nil || o != nil {
				t.Fatalf("NewOrg = %v, %v; want an error", o, err)
			}
			if !errors.Is(err, ownership.ErrInvalid) {
				t.Errorf("%v does not wrap ErrInvalid", err)
			}
			msg := err.Error()
			for _, p := range c.paths {
				if !strings.Contains(msg, p+":") {
					t.Errorf("error does not name %s:\n%v", p, msg)
				}
			}
			if n := strings.Count(msg, "\n") + 1; n != len(c.paths) {
				t.Errorf("%d problems reported, want %d:\n%v", n, len(c.paths), msg)
			}
		})
	}
}

func TestQueueLists(t *testing.T) {
	q := ownership.Entry{Queue: "support", Role: ownership.Owner}
	ann := ownership.Entry{UserID: "ann", Role: ownership.Owner}
	bob := ownership.Entry{UserID: "bob", Role: ownership.Follower}
	l, err := ownership.NewList(bob, q)
	if err != nil {
		t.Fatal(err)
	}
	if l.Queue() != "support" || l.Unassigned() || l.FirstOwner() != "" || len(l.Owners()) != 0 || l.At(0) != q {
		t.Errorf("queued list %v: queue %q, unassigned %v, owners %v", l, l.Queue(), l.Unassigned(), l.Owners())
	}
	if got := l.String(); got != "[queue=support bob:follower]" {
		t.Errorf("String() = %q", got)
	}
	// A user owner takes the record out of its queue: owner wins.
	if l2, _ := ownership.NewList(q, ann); l2.Queue() != "" || l2.Len() != 1 {
		t.Errorf("NewList(queue, owner) = %v", l2)
	}
	claimed, err := l.With(ann)
	if err != nil || claimed.Queue() != "" || !claimed.IsOwner("ann") || claimed.Len() != 2 {
		t.Errorf("With(owner) on a queued list = %v, %v", claimed, err)
	}
	if f, _ := l.With(ownership.Entry{UserID: "cat", Role: ownership.Follower}); f.Queue() != "support" {
		t.Errorf("a follower took the record out of its queue: %v", f)
	}
	back, err := claimed.InQueue("billing")
	if err != nil || back.Queue() != "billing" || back.IsOwner("ann") || back.Len() != 2 {
		t.Errorf("InQueue = %v, %v", back, err)
	}
	if l.SameAccess(back) || !l.SameAccess(ownership.MustList(q, bob)) {
		t.Error("SameAccess ignores the queue")
	}
	// JSON round trip.
	b, err := json.Marshal(l)
	if err != nil || string(b) != `[{"queue":"support","role":"owner"},{"user_id":"bob","role":"follower"}]` {
		t.Errorf("Marshal = %s, %v", b, err)
	}
	var got ownership.List
	if err := json.Unmarshal(b, &got); err != nil || !got.Equal(l) {
		t.Errorf("Unmarshal = %v, %v", got, err)
	}
	for _, bad := range []string{
		`[{"queue":"support","role":"follower"}]`,
		`[{"queue":"support","user_id":"ann","role":"owner"}]`,
		`[{"queue":"support","role":"owner"},{"queue":"billing","role":"owner"}]`,
		`[{"queue":"support","role":"owner","email":"q@example.com"}]`,
	} {
		var l ownership.List
		if err := json.Unmarshal([]byte(bad), &l); !errors.Is(err, ownership.ErrInvalid) {
			t.Errorf("Unmarshal(%s) = %v, want ErrInvalid", bad, err)
		}
	}
	if _, err := l.With(q); !errors.Is(err, ownership.ErrInvalid) {
		t.Errorf("With(queue entry) = %v", err)
	}
	if _, err := l.InQueue(""); !errors.Is(err, ownership.ErrInvalid) {
		t.Errorf("InQueue(\"\") = %v", err)
	}
	if l.Without("").Queue() != "support" {
		t.Error("Without(\"\") removed the queue")
	}
}

// queuePolicy: agents work tickets from their queue; leads may reassign.
func queuePolicy() *ownership.Policy {
	return ownership.MustPolicy(map[string]ownership.RoleDef{
		"agent": {Types: map[string]ownership.Permissions{"ticket": {View: ownership.Own | ownership.Unassigned, Update: ownership.Own, Claim: true}}},
		"lead":  {Types: map[string]ownership.Permissions{"ticket": {View: ownership.All, Update: ownership.All, Reassign: true}}},
	})
}

// TestClaimFromQueueRace: many members claim one queued ticket at once;
// exactly one wins, the others are told it is assigned, and non-members
// cannot claim it at all.
func TestClaimFromQueueRace(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	def := OrgDef{Queues: []Queue{{ID: "support"}}}
	for i := range 32 {
		u := User{ID: UserID("agent" + string(rune('a'+i%26)) + string(rune('a'+i/26))), Roles: []string{"agent"}, Queues: []QueueID{"support"}}
		def.Users = append(def.Users, u)
	}
	def.Users = append(def.Users, User{ID: "outsider", Roles: []string{"agent"}}, User{ID: "lead", Roles: []string{"lead"}})
	o, err := ownership.NewOrg(def)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range def.Users {
		if err := store.PutUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	m := &ownership.Manager{Policy: queuePolicy(), Store: store, Users: store}
	ref := ownership.MustRef("ticket/t1")
	if _, err := m.Create(ctx, ownership.Record{Ref: ref}, ownership.Creation{Source: ownership.SourceAPI}); err != nil {
		t.Fatal(err)
	}
	lead, _ := o.Subject("lead")
	r, err := m.Enqueue(ctx, lead, ref, "support")
	if err != nil || r.Ownership.Queue() != "support" {
		t.Fatalf("Enqueue = %v, %v", r.Ownership, err)
	}
	outsider, _ := o.Subject("outsider")
	if _, err := m.Claim(ctx, outsider, ref); !errors.Is(err, ownership.ErrDenied) {
		t.Fatalf("a non-member claimed: %v", err)
	} else if d, _ := ownership.DenialOf(err); d.Reason != ownership.ReasonNotQueueMember {
		t.Errorf("non-member's claim: %v", d.Reason)
	}
	agent, _ := o.Subject(def.Users[0].ID)
	if _, err := m.Enqueue(ctx, agent, ref, "support"); !errors.Is(err, ownership.ErrDenied) {
		t.Errorf("an agent without reassign enqueued: %v", err)
	}
	withOrg := *m
	withOrg.Org = o
	if _, err := withOrg.Enqueue(ctx, lead, ref, "billing"); !errors.Is(err, ownership.ErrInvalid) {
		t.Errorf("enqueued in a queue the organisation does not define: %v", err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	winners, conflicts := 0, 0
	for _, u := range def.Users[:32] {
		s, _ := o.Subject(u.ID)
		wg.Go(func() {
			_, err := m.Claim(ctx, s, ref)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				winners++
			case errors.Is(err, ownership.ErrConflict):
				conflicts++
			default:
				t.Errorf("claim by %s: %v", s.ID, err)
			}
		})
	}
	wg.Wait()
	if winners != 1 || conflicts != 31 {
		t.Fatalf("%d winners and %d conflicts, want 1 and 31", winners, conflicts)
	}
	final, err := store.Get(ctx, ref)
	if err != nil || final.Ownership.Queue() != "" || len(final.Ownership.Owners()) != 1 {
		t.Fatalf("after the race: %v, %v", final.Ownership, err)
	}
}

// TestOwnershipNeverCrossesTenants: a list may not take a user of another
// tenant, and a synced record may not follow a parent in another tenant.
func TestOwnershipNeverCrossesTenants(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	for _, u := range []User{
		{ID: "ann", Tenant: "acme", Roles: []string{"lead"}},
		{ID: "zed", Tenant: "globex", Roles: []string{"lead"}},
		{ID: "root", Tenant: "acme", Roles: []string{"admin"}},
	} {
		if err := store.PutUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	p := ownership.MustPolicy(map[string]ownership.RoleDef{
		"admin": {Bypass: true},
		"lead":  {Types: map[string]ownership.Permissions{ownership.AnyType: {View: ownership.All, Update: ownership.All, Reassign: true}}},
	})
	m := &ownership.Manager{Policy: p, Store: store, Users: store}
	own := func(u UserID) ownership.Entry { return ownership.Entry{UserID: u, Role: ownership.Owner} }
	acme := ownership.Record{Ref: ownership.MustRef("contact/c1"), Tenant: "acme"}
	if _, err := m.Create(ctx, acme, ownership.Creation{Source: ownership.SourceAPI, Entries: []ownership.Entry{own("zed")}}); !errors.Is(err, ownership.ErrInvalid) {
		t.Errorf("created an acme record owned by globex's zed: %v", err)
	}
	if _, err := m.Create(ctx, acme, ownership.Creation{Source: ownership.SourceAPI, Entries: []ownership.Entry{own("ann")}}); err != nil {
		t.Fatal(err)
	}
	root := ownership.Subject{ID: "root", Roles: []string{"admin"}, Tenant: "acme"}
	if _, err := m.AddOwner(ctx, root, acme.Ref, "zed"); !errors.Is(err, ownership.ErrDenied) {
		t.Errorf("bypass added another tenant's user: %v", err)
	} else if d, _ := ownership.DenialOf(err); d.Reason != ownership.ReasonUnknownTarget {
		t.Errorf("AddOwner across tenants: %v", d.Reason)
	}
	if _, err := m.SetOwnership(ctx, root, acme.Ref, ownership.MustList(own("ann"), own("zed"))); !errors.Is(err, ownership.ErrDenied) {
		t.Errorf("bypass set a list with another tenant's user: %v", err)
	}
	ann := ownership.Subject{ID: "ann", Roles: []string{"lead"}, Tenant: "acme"}
	if _, err := m.Reassign(ctx, ann, acme.Ref, "zed"); !errors.Is(err, ownership.ErrDenied) {
		t.Errorf("reassigned to another tenant's user: %v", err)
	}
	zed := ownership.Subject{ID: "zed", Roles: []string{"lead"}, Tenant: "globex"}
	if _, err := m.Reassign(ctx, zed, acme.Ref, "zed"); !errors.Is(err, ownership.ErrDenied) {
		t.Errorf("globex's lead reassigned an acme record: %v", err)
	}
	doc := ownership.Record{Ref: ownership.MustRef("document/d1"), Tenant: "globex", Parent: acme.Ref, Mode: ownership.SyncWithParent}
	if _, err := m.Create(ctx, doc, ownership.Creation{Source: ownership.SourceAPI}); !errors.Is(err, ownership.ErrInvalid) {
		t.Errorf("a globex document synced with an acme contact: %v", err)
	}
	got, err := store.Get(ctx, acme.Ref)
	if err != nil || got.Ownership.String() != "[ann:owner]" {
		t.Errorf("the record changed: %v, %v", got.Ownership, err)
	}
}

func TestOrgDefJSONStrict(t *testing.T) {
	for _, bad := range []string{
		`{"users":[{"id":"a","Manager":"b"}]}`,
		`{"users":[],"users":[]}`,
		`{"teams":[{"id":"t","parnet":"u"}]}`,
		`{"users":[{"id":"a","teams":[` + strings.Repeat("[", 70) + strings.Repeat("]", 70) + `]}]}`,
	} {
		var def OrgDef
		if err := def.UnmarshalJSON([]byte(bad)); !errors.Is(err, ownership.ErrInvalid) {
			t.Errorf("UnmarshalJSON(%.40s) = %v, want ErrInvalid", bad, err)
		}
	}
}

// FuzzOrgDef: any input either fails to decode, or builds an Org (whose
// definition builds an Org that reaches the same users) or a joined error
// wrapping ErrInvalid; it never panics or loops.
func FuzzOrgDef(f *testing.F) {
	b, _ := json.Marshal(salesOrg())
	f.Add(string(b))
	f.Add(`{"users":[{"id":"a","manager":"b"},{"id":"b","manager":"a"}],"teams":[{"id":"t","parent":"t"}]}`)
	f.Add(`{"users":[{"id":"a","tenant":"x","teams":["t"],"queues":["q"]}],"teams":[{"id":"t","managers":["a"]}],"queues":[{"id":"q","tenant":"x"}]}`)
	f.Fuzz(func(t *testing.T, in string) {
		var def OrgDef
		if err := json.Unmarshal([]byte(in), &def); err != nil {
			return
		}
		o, err := ownership.NewOrg(def)
		if err != nil {
			if !errors.Is(err, ownership.ErrInvalid) || o != nil {
				t.Fatalf("NewOrg: %v, %v", o, err)
			}
			return
		}
		o2, err := ownership.NewOrg(o.Def())
		if err != nil {
			t.Fatalf("the definition of a valid Org is invalid: %v", err)
		}
		for _, u := range def.Users {
			a, b := o.Reach(u.ID), o2.Reach(u.ID)
			if !slices.Equal(a.Teammates(), b.Teammates()) || !slices.Equal(a.Reports(), b.Reports()) {
				t.Fatalf("%s: reach changed through Def", u.ID)
			}
			_ = o.Above(u.ID)
		}
	})
}
