package fakesmtp

import (
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Account is a mailbox that may authenticate to the server.
type Account struct {
	Username string
	Password string
}

// Authentication replies. The texts are the ones Gmail sends (see the
// presets); ErrAuthFailed is what a wrong user name or password gets.
var (
	ErrAuthFailed = &smtp.SMTPError{
		Code:         535,
		EnhancedCode: smtp.EnhancedCode{5, 7, 8},
		Message:      "Username and Password not accepted.",
	}
	ErrAuthRequired = &smtp.SMTPError{
		Code:         530,
		EnhancedCode: smtp.EnhancedCode{5, 7, 0},
		Message:      "Authentication Required.",
	}
)

// authenticate checks a user name and password against the accounts.
func (s *Server) authenticate(username, password string) error {
	for _, a := range s.Accounts {
		if a.Username == username && a.Password == password {
			return nil
		}
	}
	return ErrAuthFailed
}

// loginServer is the server side of the LOGIN mechanism
// (draft-murchison-sasl-login), which go-sasl implements only as a client:
// the server asks "Username:" then "Password:", each base64-encoded by the
// SMTP layer.
type loginServer struct {
	step     int
	username string
	auth     func(username, password string) error
}

func newLoginServer(auth func(username, password string) error) sasl.Server {
	return &loginServer{auth: auth}
}

func (l *loginServer) Next(response []byte) (challenge []byte, done bool, err error) {
	switch l.step {
	case 0:
		l.step = 1
		if response == nil {
			return []byte("Username:"), false, nil
		}
		// "AUTH LOGIN <base64 user name>": the user name came with the
		// command.
		fallthrough
	case 1:
		l.username = string(response)
		l.step = 2
		return []byte("Password:"), false, nil
	default:
		return nil, true, l.auth(l.username, string(response))
	}
}
