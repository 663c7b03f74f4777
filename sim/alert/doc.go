// Package alert is the e-mail alert pipeline of a device's firmware: it
// composes an alert (RFC 5322 and MIME, with github.com/emersion/go-message)
// and delivers it over SMTP (RFC 5321, STARTTLS per RFC 3207, AUTH per RFC
// 4954 with github.com/emersion/go-sasl's mechanisms, implicit TLS per RFC
// 8314), classifying every failure the way a device's failure log does.
//
// The SMTP session runs on the standard library's net/smtp client, not on
// go-smtp's: go-smtp's client cannot upgrade a session with STARTTLS after
// an EHLO in the device's own name (see deliver.go).
//
// It knows nothing about simulation. It takes a dial function, a resolver
// and a context, and reads the clock through the time package, exactly as
// firmware code would: given net.Dialer.DialContext it sends real mail, and
// given an emulated host's Dial inside a synctest bubble it runs in virtual
// time.
package alert
