// Package inspect is an access inspector for administrators: an
// [http.Handler] that shows, for the records and users of a host, who may
// do what and why, read through the same storage interfaces as the rest of
// the library and decided by the same [ownership.Policy].
//
// A host mounts it behind its own administrator authentication, as it
// would mount net/http/pprof or a job queue's dashboard, and passes that
// check as [Config].Authorize: [New] refuses to build a Handler without
// one ([ErrNoAuthorize]), and every request, the stylesheet included,
// goes through it before anything is read. A refusal is answered 403 with
// no data.
//
//	h, err := inspect.New(inspect.Config{
//		Policy:    policy,
//		Records:   store,
//		Users:     store,
//		Authorize: requireAdmin, // func(*http.Request) error
//	})
//	...
//	mux.Handle("/admin/access/", http.StripPrefix("/admin/access", h))
//
// Every link the pages carry is relative and one level deep, so the
// Handler works under any prefix that ends with a slash.
//
// # Pages
//
//   - / : the index, linking to everything below;
//   - /policy : the policy as a matrix of roles, record types and actions,
//     with claim and reassign, bypass roles and field rules;
//   - /records?type=T&page=N and /users?page=N : lists, one page at a
//     time;
//   - /record?ref=T/ID : a record's ownership, mode and parent chain, and
//     for each action every user who may do it and why
//     ([ownership.Policy.WhoIn], or [ownership.Org.Who] when the Config
//     has an organisation) and every user who may not, with what they
//     would need;
//   - /user?id=U : a user's roles and reach: per record type, for view and
//     update, how many records are in each class and how many of them the
//     user may reach (records of teammates and reports count among
//     others'), and the [ownership.Policy.Filter] predicate;
//   - /why?user=U&action=A&ref=T/ID[&field=F] : the full
//     [ownership.Policy.Decide] answer, in the administrator's voice
//     ([ownership.Decision.Explain]) and the end user's
//     ([ownership.Decision.ForSubject]).
//
// The pages are server-rendered HTML that needs no JavaScript: links and
// GET forms. Each is also JSON with the same content, chosen by
// ?format=json or an Accept header that asks for application/json and not
// for text/html. Errors are problem documents (RFC 9457) in JSON, or an
// error page in HTML: 400 for malformed input, 404 for a record or user
// that does not exist, 405 for a method other than GET and HEAD.
//
// # Cost
//
// The inspector reads; it never writes. The record and why pages read one
// record (and its parents) and, for the record page, list the directory
// once per action. The user page and the lists scan the records or users
// from the start: it is a tool for administrators, not a path for every
// request.
package inspect
