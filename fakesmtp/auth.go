package fakesmtp

import (
	"slices"
	"strings"

	"github.com/emersion/go-sasl"
)

// Account is a mailbox that may authenticate to the server.
type Account struct {
	Username string
	// Password is the account's own password.
	Password string
	// AppPasswords are passwords made for one device each (Gmail's and
	// Outlook's 16-character app passwords).
	AppPasswords []string
	// RevokedAppPasswords no longer work: refused like a wrong password.
	RevokedAppPasswords []string
	// TwoFactor refuses the account password over SMTP with
	// Replies.AppPasswordRequired: only app passwords work.
	TwoFactor bool
	// Senders are the addresses the account may send from (MAIL FROM);
	// empty allows any.
	Senders []string
}

// authenticate checks a login and returns nil or the reply refusing it.
func (s *Server) authenticate(username, password string) (*Account, error) {
	i := slices.IndexFunc(s.Accounts, func(a Account) bool { return strings.EqualFold(a.Username, username) })
	if i < 0 {
		return nil, s.replies().AuthFailed
	}
	a := &s.Accounts[i]
	switch {
	case password == a.Password && a.TwoFactor:
		return nil, s.replies().AppPasswordRequired
	case password == a.Password && s.replies().PasswordSignIn != nil:
		return nil, s.replies().PasswordSignIn
	case password == a.Password, slices.Contains(a.AppPasswords, password):
		return a, nil
	}
	return nil, s.replies().AuthFailed
}

// maySend reports whether the account may use from as its sender.
func (a *Account) maySend(from string) bool {
	return len(a.Senders) == 0 || slices.ContainsFunc(a.Senders, func(s string) bool { return strings.EqualFold(s, from) })
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
