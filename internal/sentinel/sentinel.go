package sentinel

import "errors"

// ErrInvalid reports malformed input. The root package exports it as
// ownership.ErrInvalid.
var ErrInvalid = errors.New("ownership: invalid")
