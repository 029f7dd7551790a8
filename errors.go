package ownership

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ownershipkit/ownership/internal/sentinel"
	"github.com/ownershipkit/ownership/internal/strictjson"
)

// Sentinel errors, for callers to branch on with [errors.Is]. A denial
// ([DeniedError]) matches ErrDenied and, where its reason says so, also
// ErrSynced, ErrNotFound or ErrConflict; an ErrPropagation error also wraps
// the failure that stopped the propagation.
var (
	// ErrNotFound reports that a record or user does not exist.
	ErrNotFound = errors.New("ownership: not found")
	// ErrConflict reports that a record changed between read and write: the
	// compare-and-swap on its version failed.
	ErrConflict = errors.New("ownership: conflict")
	// ErrDenied reports that the policy refused an action. The error
	// carries the [Decision] that explains why; see [DenialOf].
	ErrDenied = errors.New("ownership: denied")
	// ErrSynced reports that a record's ownership is a read-only copy of its
	// parent's and cannot be changed directly.
	ErrSynced = errors.New("ownership: ownership synced with parent")
	// ErrPropagation reports that a change was committed but its synced
	// children did not all follow; [Manager.Reconcile] repairs them.
	ErrPropagation = errors.New("ownership: propagation incomplete")
	// ErrInvalid reports malformed input: a bad role, scope, reference,
	// policy or list. A problem of JSON input is a [*PathError] that wraps
	// it.
	ErrInvalid = sentinel.ErrInvalid
	// ErrAmbiguous reports that a value meant to name one user names
	// several: a record's owner field matches two or more users of the
	// directory. The value is well-formed; the directory's field is not
	// unique. See [Matcher].
	ErrAmbiguous = errors.New("ownership: ambiguous")
	// ErrLookalike reports values that a normaliser keeps apart but that
	// differ only by folding it deliberately does not apply, such as two
	// users' addresses "sam@x.io" and "ſam@x.io" (long s). Each still
	// matches its own user; it is a warning that one may be mistaken for
	// the other. See [Matcher.Problems].
	ErrLookalike = errors.New("ownership: lookalike")
)

// PathError is one problem of JSON input (a policy, an ownership list,
// assignment rules, a seed file), named by its path in the input. It has
// two fields: Path, where the problem is ("records[3].ownership[0].role":
// object members joined by ".", array elements as "[i]"; "" for the input
// as a whole), and Msg, what is wrong there. It wraps [ErrInvalid], and
// its message reads
//
//	ownership: invalid: records[3].ownership[0].role: "boss": want owner or follower
//
// Readers that report every problem at once join their PathErrors;
// [errors.As] finds the first, and the joined error's Unwrap() []error
// lists them all.
type PathError = strictjson.Error

// prefix starts every error message of the package, once.
const prefix = "ownership: "

// wrapError puts context in front of an error it wraps: its message is the
// context, then the wrapped message without its own "ownership: ", so
// that however many layers wrap a problem its message says "ownership:"
// once.
type wrapError struct {
	context string // "ownership: create contact/c1"
	err     error
	kind    error // a sentinel the error matches as well, or nil
}

// wrapf returns err in the context format names, as in
// "ownership: reading contact/c1: not found: record contact/c1".
func wrapf(err error, format string, args ...any) error {
	return &wrapError{context: prefix + fmt.Sprintf(format, args...), err: err}
}

// wrapKindf is wrapf for an error that also matches kind, a sentinel
// whose text opens the message, as in "ownership: propagation
// incomplete: contact/c1 changed, ...: writing document/d1: conflict".
func wrapKindf(kind, err error, format string, args ...any) error {
	return &wrapError{context: kind.Error() + ": " + fmt.Sprintf(format, args...), err: err, kind: kind}
}

// Error returns the context and the wrapped message.
func (e *wrapError) Error() string {
	return e.context + ": " + strings.TrimPrefix(e.err.Error(), prefix)
}

// Unwrap returns the wrapped error, and the sentinel kind if any.
func (e *wrapError) Unwrap() []error {
	if e.kind == nil {
		return []error{e.err}
	}
	return []error{e.kind, e.err}
}
