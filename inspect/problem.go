package inspect

import (
	"context"
	"errors"
	"net/http"
)

// problemType is the media type of the problems the inspector writes.
const problemType = "application/problem+json"

// problem is an error answer in the form of RFC 9457. Its Detail speaks to
// the administrator, who may read a store's error.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
}

func badRequest(detail string) *problem {
	return &problem{Status: http.StatusBadRequest, Title: "Bad request", Detail: detail}
}

func notFound(detail string) *problem {
	return &problem{Status: http.StatusNotFound, Title: "Not found", Detail: detail}
}

// internal is the problem of a failure of the store, the directory or the
// inspector itself: 503 when a deadline ran out, else 500.
func internal(err error) *problem {
	if errors.Is(err, context.DeadlineExceeded) {
		return &problem{Status: http.StatusServiceUnavailable, Title: "Timed out", Detail: err.Error()}
	}
	return &problem{Status: http.StatusInternalServerError, Title: "Internal error", Detail: err.Error()}
}
