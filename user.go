package ownership

import (
	"maps"
	"slices"
)

// User is a person in the host application's directory: the subject of
// decisions, and the source of the details copied onto ownership entries.
//
// Named fields ("id", "login", "email", "given_name", "last_name", and any
// key of Fields) are what field-matched ownership compares with a record's
// field; see [User.Field].
type User struct {
	ID        UserID   `json:"id"`
	Login     string   `json:"login,omitempty"`
	Email     string   `json:"email,omitempty"`
	GivenName string   `json:"given_name,omitempty"`
	LastName  string   `json:"last_name,omitempty"`
	Roles     []string `json:"roles,omitempty"`
	// Inactive users keep their records but receive no new assignments.
	Inactive bool `json:"inactive,omitempty"`
	// Skills are matched against record tags by skill-based assignment.
	Skills []string `json:"skills,omitempty"`
	// Fields holds further named values (team, territory...).
	Fields map[string]string `json:"fields,omitempty"`
	// Tenant is the tenant the user belongs to; see [TenantID].
	Tenant TenantID `json:"tenant,omitempty"`
	// Teams are the user's teams, the main one first; see [Team].
	Teams []TeamID `json:"teams,omitempty"`
	// Manager is the user's manager in the hierarchy, or "".
	Manager UserID `json:"manager,omitempty"`
	// Queues are the queues the user is a member of; see [Queue].
	Queues []QueueID `json:"queues,omitempty"`
}

// Field returns the value of the named field: "id", "login", "email",
// "given_name", "last_name", "full_name" (given and last name joined by a
// space), or a key of Fields. The second result reports whether the user
// has such a field with a non-empty value.
func (u User) Field(name string) (string, bool) {
	var v string
	switch name {
	case "id":
		v = string(u.ID)
	case "login":
		v = u.Login
	case "email":
		v = u.Email
	case "given_name":
		v = u.GivenName
	case "last_name":
		v = u.LastName
	case "full_name":
		switch {
		case u.GivenName == "":
			v = u.LastName
		case u.LastName == "":
			v = u.GivenName
		default:
			v = u.GivenName + " " + u.LastName
		}
	default:
		v = u.Fields[name]
	}
	return v, v != ""
}

// Clone returns a copy of u that shares no slice or map with it.
func (u User) Clone() User {
	u.Roles = slices.Clone(u.Roles)
	u.Skills = slices.Clone(u.Skills)
	u.Fields = maps.Clone(u.Fields)
	u.Teams = slices.Clone(u.Teams)
	u.Queues = slices.Clone(u.Queues)
	return u
}

// Subject returns the user as the subject of decisions, in its tenant.
// Its [Reach] holds the user's queues only: [Org.Subject] adds its teams
// and reports.
func (u User) Subject() Subject {
	return Subject{ID: u.ID, Roles: slices.Clone(u.Roles), Tenant: u.Tenant, Reach: NewReach(nil, nil, u.Queues)}
}

// Entry returns an ownership entry for the user with role r, carrying the
// user's details.
func (u User) Entry(r Role) Entry {
	return Entry{UserID: u.ID, Role: r, Email: u.Email, GivenName: u.GivenName, LastName: u.LastName}
}
