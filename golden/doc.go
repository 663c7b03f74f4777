// Package golden compares text with golden files, the way
// gotest.tools/golden does: a test renders what it produced, Compare (or
// Assert) checks it against the file, and `go test -update` rewrites the
// files instead, for a person to review in the diff before committing. A
// difference is reported as a line diff "(-want +got)" made with go-cmp.
//
// It knows nothing of what the text is: alertsim's run records, a
// consumer's own reports, anything that renders the same bytes on every
// run.
package golden
