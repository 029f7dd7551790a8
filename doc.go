// Package ownership decides who may see and change a record by who owns it.
//
// It unifies three models that business applications use: an owner field
// with view and update scopes (a CRM's contacts: owned, unassigned, claimed
// and reassigned), ownership lists of owners and followers (owners change,
// followers only look, administrators bypass), and own/other permissions
// down to single fields (a contract system).
//
// # The model
//
// A [Record] has a type and an id (its [Ref], "contact/c1") and an ownership
// [List] of entries: each a user and a [Role], [Owner] or [Follower]. A list
// without an owner makes the record unassigned. Lists are normalised: one
// entry per user, and a user who is both owner and follower is an owner.
//
// A [Subject] is the user asking: an id and role names. A [Policy] gives
// each role, per record type (or for every type, [AnyType]), a scope per
// action, or makes it a bypass role that may do everything.
//
// A [Scope] is a set of record classes. For a subject and an action, a
// record is in exactly one of these:
//
//   - [Own]: the subject owns it (for [View], owns or follows it);
//   - [Unassigned]: it has no owner (or a queue the subject is in holds it);
//   - [Others]: someone else owns it.
//
// [All] is every class, and any union works: a CRM sales rep
// views Own|Unassigned and updates Own. Followers never update or delete
// through Own.
//
// # Teams, hierarchy, queues and tenants
//
// An [Org] places users in teams ([Team], with parent teams and
// managers), under managers, in queues ([Queue]) and in tenants
// ([TenantID]). [Org.Subject] gives a subject its [Reach], and two classes
// narrow Others for it: [Teammates] (owned by someone in its teams) and
// [Reports] (owned by someone below it). A queue may hold a record: its
// members see it as unassigned and may claim it. Nothing crosses tenants
// but a platform role ([RoleDef.Platform]). [Org.Who] answers who may do
// an action to a record, and why.
//
// # Decisions
//
// [Policy.Decide] evaluates the subject's roles one by one; any role may
// allow. A role's grant for the record's type replaces its "*" grant. The
// answer is a [Decision]: allowed or not, a [Reason] code, and
// [Decision.Explain], a sentence that says what would change the answer:
//
//	rep1 cannot update contact/c3: it is owned by rep2 and your update scope
//	is Owned; ask a manager to reassign it to you, or to widen your update
//	scope to All
//
// Anything unknown denies: a subject without an id or roles, a role the
// policy does not define, an unknown action, a missing record (a zero Ref).
// Field rules ([FieldRule]) narrow the record-level View and Update scopes
// for one field ([Policy.DecideField]); a field without a rule follows the
// record.
//
// [Claim], [Reassign] and [ManageOwnership] change ownership. Claim needs an
// unassigned record and a role that grants claim; Reassign needs a role
// that grants reassign and, in the same role, an update scope that reaches
// the record; ManageOwnership needs the subject to own the record (through
// a role with a grant for its type) or a bypass role. A record in
// [SyncWithParent] mode takes its ownership from its parent and refuses all
// three, to everyone, bypass included.
//
// # Speed
//
// Policies are compiled when built: a check ([Policy.Can], [Policy.CanView],
// [Policy.CanEdit]) is one scan of the ownership list and a bit test, with
// no allocation. [Policy.Bind] resolves a subject's roles once per request.
// [Policy.Filter] compiles the same rules into a [Predicate] for lists: its
// Match runs per record in memory, and its [Cond] tree is what database
// adapters translate into a WHERE clause.
//
// # Changing ownership
//
// [Manager] runs the operations that change ownership ([Manager.Create],
// [Manager.Claim], [Manager.Reassign], [Manager.AddOwner],
// [Manager.AddFollower], [Manager.Remove], [Manager.SetOwnership],
// [Manager.Transfer]) against storage the host supplies through small
// interfaces ([RecordStore], [ChildLister], [UserRecords], [Directory]; the
// memstore package is the in-memory default). Each operation is decided by
// the policy and written by compare-and-swap on the record's version,
// retried on conflict, so two claims of one record have one winner and no
// update is lost. Every committed change, and only those, is reported to
// the [Subscriber]s as an [Event]. [InitialOwnership] derives a new
// record's first owners from its creation [Source] and its template's and
// profile's defaults; assignment [Rules] route unassigned form submissions.
//
// # Synced documents and field-matched owners
//
// A child record in [SyncWithParent] mode carries a read-only copy of its
// parent's list; [Manager.Propagate] and [Manager.Reconcile] keep the copies
// in line. A record type may instead take its owner from a field matched to
// a user field ([Matcher]; email addresses compare as RFC 5322 mailboxes).
//
// # HTTP
//
// The ownhttp package puts a Policy in front of HTTP handlers: it resolves
// and binds the requesting user once per request, checks before handlers
// act, answers end users with problems in their own voice (hiding the
// records they may not see) and keeps the administrator's explanations
// for the audit log.
//
// # Seed files and JSON
//
// Package seed reads the JSON seed format (users, policy, types,
// templates, profiles, records, assignment) on top of this package;
// cmd/ownctl answers questions about a seed, or through sqlstore a live
// database, from the command line. Every
// strict reader of JSON ([Policy.UnmarshalJSON], [PolicyDef.UnmarshalJSON],
// [List.UnmarshalJSON], [ParseRules], [OwnerField.UnmarshalJSON] and the
// seed's) refuses unknown and miscased fields, keys given twice, and
// arrays and objects nested more than 64 levels deep, checked in one pass
// before anything is decoded; each problem is a [*PathError] that wraps
// [ErrInvalid] and names its path in the input.
//
// # Layout
//
// This package is the model and the decision engine: ownership lists,
// scopes, policies, decisions, predicates, synced records, field-matched
// owners, and the Manager that changes ownership over storage interfaces.
// Layers above it import it and are never imported by it: package seed
// (the seed file format), memstore (the in-memory store), storetest (the
// conformance suite every store passes), and the modules sqlstore
// (PostgreSQL and SQLite), cmd/ownctl (the command line, a module because
// it opens databases) and bench. Layers below
// it are internal: strictjson (the strict, path-naming JSON reader),
// mailbox and casefold (the normalisers of field-matched owners), enum
// (the text form of the enumerations) and sentinel (ErrInvalid, shared
// with them). Each package's documentation describes its layer.
//
// A Policy never changes once built and is safe for concurrent use; so are
// Lists, Predicates and Matchers. A Manager is safe for concurrent
// use once configured.
package ownership
