package strictjson

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ownershipkit/ownership/internal/sentinel"
)

// Error is one problem of a JSON input, named by its path in the input
// ("records[3].ownership[0].role"). It wraps [sentinel.ErrInvalid], and
// its message starts as that error's does:
//
//	ownership: invalid: records[3].ownership[0].role: "boss": want owner or follower
type Error struct {
	// Path is where the problem is: object members joined by ".", array
	// elements as "[i]". It is "" for the input as a whole.
	Path string
	// Msg says what is wrong there.
	Msg string
}

// Errorf returns an *Error at path with a formatted message.
func Errorf(path, format string, args ...any) *Error {
	return &Error{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// Error returns "ownership: invalid: path: message".
func (e *Error) Error() string {
	if e.Path == "" {
		return sentinel.ErrInvalid.Error() + ": " + e.Msg
	}
	return sentinel.ErrInvalid.Error() + ": " + e.Path + ": " + e.Msg
}

// Unwrap makes the error match ErrInvalid.
func (e *Error) Unwrap() error { return sentinel.ErrInvalid }

// Message returns the text of err without the "ownership: invalid: "
// prefix, for an error that is to be reported again under a path of its
// own.
func Message(err error) string {
	return strings.TrimPrefix(err.Error(), sentinel.ErrInvalid.Error()+": ")
}

// Within returns err with path put in front of the path of every *Error
// it holds, joined errors included, so that the problems of a part read
// on its own are named by their place in a larger input. Other errors are
// returned as they are.
func Within(path string, err error) error {
	switch e := err.(type) {
	case nil:
		return nil
	case *Error:
		return &Error{Path: Join(path, e.Path), Msg: e.Msg}
	case interface{ Unwrap() []error }:
		errs := e.Unwrap()
		out := make([]error, len(errs))
		for i, x := range errs {
			out[i] = Within(path, x)
		}
		return errors.Join(out...)
	}
	return err
}

// Join appends a path to another: a member's name after a ".", an
// element's "[i]" as it is.
func Join(path, rest string) string {
	switch {
	case path == "":
		return rest
	case rest == "":
		return path
	case rest[0] == '[':
		return path + rest
	}
	return path + "." + rest
}

// Sub appends a member name to a path.
func Sub(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

// Index appends an element index to a path.
func Index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }
