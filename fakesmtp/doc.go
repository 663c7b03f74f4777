// Package fakesmtp is a fake SMTP server for tests and for devices on the
// bench. The protocol is github.com/emersion/go-smtp's server (RFC 5321,
// with STARTTLS per RFC 3207, AUTH per RFC 4954, enhanced status codes per
// RFC 3463); on top of it the server decides every answer a device acts
// on, as real providers do, and records everything:
//
//   - listeners in plain, STARTTLS or implicit TLS mode (RFC 8314), on any
//     net.Listener: an emulated one (netem) in virtual time, or a real one;
//   - certificates from a scenario CA: valid, self-signed, expired, for the
//     wrong name;
//   - accounts with passwords, app passwords, two-step verification and
//     allowed senders, over AUTH PLAIN (RFC 4616) and LOGIN;
//   - presets that copy Gmail's, Outlook's, an ISP relay's and an old
//     server's rules and refusals, word for word (see Presets);
//   - faults: a reply replaced at any stage, greylisting, rate and size
//     limits, slow replies, hanging up mid-message;
//   - capture: every message stored whole, once, before its 250 reply,
//     with its MIME tree (github.com/emersion/go-message), TLS and AUTH
//     details, and the session's transcript, credentials redacted; in
//     memory, or in a Store (package emlstore keeps them on disk) that
//     answers 4xx when it cannot keep one;
//   - input checked before go-smtp sees it: EHLO names of RFC 5321's
//     syntax, bare LF refused, an unfinished line never run;
//   - bounds for a server that runs for days under abuse (recipients,
//     connections, session time, transcripts, sessions, failed logins),
//     each off unless set, and session events (OnEvent) for logs and live
//     views.
//
// Construct with NewServer, set fields, then Serve listeners; in a test,
// Start serves for the rest of the test and closes the server at the end.
package fakesmtp
